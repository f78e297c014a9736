package ship

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
)

// CheckConfig says which dumps to verify at rest and how.
type CheckConfig struct {
	// URL is a root or one dump's prefix.
	URL    string
	Filter discover.Filter
	// Full re-reads every byte and compares CRC32C and SHA-256; otherwise
	// sizes and store-computed CRC32C are compared.
	Full bool
	// Transfers is how many files are checked at once (default 4).
	Transfers int
}

// CheckResult is what Check found.
type CheckResult struct {
	// Checked counts complete dumps checked; Incomplete those skipped for
	// lack of _SUCCESS.
	Checked, Incomplete int
	Files               int64
	Bytes               int64
	Problems            []Problem
}

// Check verifies the complete dumps under cfg.URL against their manifests
// and reports missing, corrupt and unlisted objects (like rclone check).
// Problems make the error a verification failure (exit 3); an error
// reaching the store is retryable (exit 1).
func Check(ctx context.Context, cfg CheckConfig, logger *slog.Logger, run *report.Run) (CheckResult, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Transfers == 0 {
		cfg.Transfers = DefaultTransfers
	}
	if cfg.Transfers < 1 {
		return CheckResult{}, fault.Usagef("--transfers %d: want at least 1", cfg.Transfers)
	}
	if err := cfg.Filter.Validate(); err != nil {
		return CheckResult{}, fault.Usage(err)
	}
	root, err := discover.Open(ctx, cfg.URL, &discover.OpenOptions{Probe: true})
	if err != nil {
		return CheckResult{}, fmt.Errorf("--check: %w", err)
	}
	defer root.Close()
	dumps, err := root.Find(ctx, cfg.Filter, &discover.Options{Logger: logger})
	if err != nil {
		return CheckResult{}, err
	}
	var res CheckResult
	for _, d := range dumps {
		if !d.Complete {
			res.Incomplete++
			logger.Info("not complete; not checked", "dump", d.String())
			continue
		}
		_, m, err := readManifest(ctx, root.Bucket, d)
		if err != nil {
			if !fault.IsUsage(err) && !fault.IsVerify(err) {
				return res, err
			}
			res.Problems = append(res.Problems, Problem{Dump: d.String(), Kind: BadManifest, Detail: err.Error()})
			logger.Error("problem", "dump", d.String(), "kind", string(BadManifest), "detail", err.Error())
			continue
		}
		res.Checked++
		run.Add("dumps_checked", 1)
		for _, f := range m.Files {
			res.Files++
			res.Bytes += f.StoredBytes
		}
		problems, err := atRest(ctx, root.Bucket, d, m, cfg.Full, true, cfg.Transfers, run)
		if err != nil {
			return res, err
		}
		for _, p := range problems {
			logger.Error("problem", "dump", p.Dump, "key", p.Key, "kind", string(p.Kind), "detail", p.Detail)
		}
		if len(problems) == 0 {
			logger.Info("intact", "dump", d.String(), "files", len(m.Files))
		}
		res.Problems = append(res.Problems, problems...)
	}
	run.Add("problems", int64(len(res.Problems)))
	if len(res.Problems) > 0 {
		return res, fault.Verifyf("%d problems in %d dumps checked; first: %s", len(res.Problems), res.Checked+countBad(res.Problems), res.Problems[0])
	}
	return res, nil
}

// countBad counts problems that stopped a dump from being checked at all.
func countBad(ps []Problem) int {
	n := 0
	for _, p := range ps {
		if p.Kind == BadManifest {
			n++
		}
	}
	return n
}
