package dynamodb

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lading-dev/lading/pkg/format"
)

// fromAttributeMap converts an SDK item into lading's DynamoDB values.
func fromAttributeMap(m map[string]types.AttributeValue) format.DynamoItem {
	out := make(format.DynamoItem, len(m))
	for k, v := range m {
		out[k] = fromAttribute(v)
	}
	return out
}

func fromAttribute(v types.AttributeValue) format.DynamoValue {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		return format.DynamoValue{Kind: format.DynamoS, S: t.Value}
	case *types.AttributeValueMemberN:
		return format.DynamoValue{Kind: format.DynamoN, S: t.Value}
	case *types.AttributeValueMemberB:
		b := t.Value
		if b == nil {
			b = []byte{}
		}
		return format.DynamoValue{Kind: format.DynamoB, B: b}
	case *types.AttributeValueMemberBOOL:
		return format.DynamoValue{Kind: format.DynamoBOOL, Bool: t.Value}
	case *types.AttributeValueMemberNULL:
		return format.DynamoValue{Kind: format.DynamoNULL}
	case *types.AttributeValueMemberL:
		l := make([]format.DynamoValue, len(t.Value))
		for i, e := range t.Value {
			l[i] = fromAttribute(e)
		}
		return format.DynamoValue{Kind: format.DynamoL, L: l}
	case *types.AttributeValueMemberM:
		return format.DynamoValue{Kind: format.DynamoM, M: fromAttributeMap(t.Value)}
	case *types.AttributeValueMemberSS:
		return format.DynamoValue{Kind: format.DynamoSS, Set: t.Value}
	case *types.AttributeValueMemberNS:
		return format.DynamoValue{Kind: format.DynamoNS, Set: t.Value}
	case *types.AttributeValueMemberBS:
		return format.DynamoValue{Kind: format.DynamoBS, BSet: t.Value}
	}
	// An attribute type newer than this SDK: the encoder refuses it.
	return format.DynamoValue{Kind: "?"}
}

// toAttributeMap converts lading's values back (resume keys; tests).
func toAttributeMap(m format.DynamoItem) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = ToAttribute(v)
	}
	return out
}

// ToAttribute converts one of lading's DynamoDB values to the SDK's.
func ToAttribute(v format.DynamoValue) types.AttributeValue {
	switch v.Kind {
	case format.DynamoS:
		return &types.AttributeValueMemberS{Value: v.S}
	case format.DynamoN:
		return &types.AttributeValueMemberN{Value: v.S}
	case format.DynamoB:
		return &types.AttributeValueMemberB{Value: v.B}
	case format.DynamoBOOL:
		return &types.AttributeValueMemberBOOL{Value: v.Bool}
	case format.DynamoNULL:
		return &types.AttributeValueMemberNULL{Value: true}
	case format.DynamoL:
		l := make([]types.AttributeValue, len(v.L))
		for i, e := range v.L {
			l[i] = ToAttribute(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	case format.DynamoM:
		return &types.AttributeValueMemberM{Value: toAttributeMap(v.M)}
	case format.DynamoSS:
		return &types.AttributeValueMemberSS{Value: v.Set}
	case format.DynamoNS:
		return &types.AttributeValueMemberNS{Value: v.Set}
	case format.DynamoBS:
		return &types.AttributeValueMemberBS{Value: v.BSet}
	}
	return nil
}

// ToItem converts a decoded dump line to an SDK item.
func ToItem(item format.DynamoItem) map[string]types.AttributeValue { return toAttributeMap(item) }

// FromItem converts an SDK item to lading's values (tests compare dumps
// with the table this way).
func FromItem(m map[string]types.AttributeValue) format.DynamoItem { return fromAttributeMap(m) }
