package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/lading-dev/lading/internal/fault"
)

// notifyContext returns a context cancelled (with the signal as cause) by
// the first SIGINT or SIGTERM; a second one exits the process at once with
// the retryable exit code. say prints what happens (one line on stderr).
// stop releases the signal handler.
func notifyContext(say func(string)) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			say(fmt.Sprintf("%s: stopping (signal again to exit now)", s))
			cancel(fmt.Errorf("interrupted by %s", s))
		case <-done:
			return
		}
		select {
		case s := <-ch:
			say(fmt.Sprintf("%s again: exiting now", s))
			os.Exit(fault.ExitRetry)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}
