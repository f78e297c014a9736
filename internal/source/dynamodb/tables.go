package dynamodb

import (
	"context"
	"fmt"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lading-dev/lading/internal/source"
)

var _ source.TableLister = (*Source)(nil)

// Tables lists the endpoint's tables with ListTables, page by page.
func (s *Source) Tables(ctx context.Context) ([]string, error) {
	var out []string
	p := ddb.NewListTablesPaginator(s.client, &ddb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tables in %s: %w", s.region, err)
		}
		out = append(out, page.TableNames...)
	}
	return out, nil
}
