package eval

import (
	"strings"
	"testing"
)

// The library the evaluator promises (the Power Query host reference, §8.2:
// tiers 1 to 3), spelled out name by name so that removing or stubbing one
// of them fails CI. The families the reference lists with a wildcard
// (BinaryEncoding.*, TextEncoding.*, ...) name the members connectors use.
var tierNames = map[string][]string{
	"1: OAuth path": {
		"Json.Document", "Json.FromValue",
		"Uri.BuildQueryString", "Uri.Parts", "Uri.Combine", "Uri.EscapeDataString",
		"Web.Contents",
		"Text.ToBinary", "Text.FromBinary", "Binary.ToText", "Binary.FromText", "Binary.Buffer", "Binary.ToList",
		"BinaryEncoding.Base64", "BinaryEncoding.Hex",
		"TextEncoding.Utf8", "TextEncoding.Utf16", "TextEncoding.Ascii", "TextEncoding.Unicode",
		"TextEncoding.BigEndianUnicode", "TextEncoding.Windows",
		"Crypto.CreateHash", "CryptoAlgorithm.SHA1", "CryptoAlgorithm.SHA256", "CryptoAlgorithm.SHA384",
		"CryptoAlgorithm.SHA512", "CryptoAlgorithm.MD5",
		"Text.NewGuid", "Error.Record",
		"Record.HasFields", "Record.AddField", "Record.Field", "Record.FieldOrDefault", "Record.FieldNames",
		"Record.FieldValues", "Record.FieldCount", "Record.RemoveFields", "Record.Combine", "Record.FromList",
		"Record.ToTable",
		"Text.Replace", "Text.Combine", "Text.From", "Text.Contains", "Text.Length", "Text.Split", "Text.Trim",
		"Text.TrimEnd", "Text.TrimStart", "Text.BeforeDelimiter", "Text.AfterDelimiter", "Text.StartsWith",
		"Text.EndsWith", "Text.Lower", "Text.Upper", "Text.Format", "Text.Start", "Text.At", "Text.Remove",
		"List.Transform", "List.Count", "List.First", "List.Select", "List.Contains", "List.Combine", "List.MatchesAny",
		"Comparer.OrdinalIgnoreCase",
		"Extension.Contents", "Extension.LoadString", "Extension.CurrentCredential", "Extension.CredentialError",
		"Credential.AccessDenied", "Credential.AccessForbidden", "Credential.EncryptionNotSupported",
		"Credential.InvalidCredentials",
		"Value.Metadata", "Diagnostics.Trace", "DateTime.LocalNow", "DateTimeZone.UtcNow",
	},
	"2: connector plumbing": {
		"Value.Type", "Value.ReplaceType", "Value.ReplaceMetadata", "Value.RemoveMetadata", "Value.Equals", "Value.Is",
		"Type.Is", "Type.ForFunction", "Type.ForRecord", "Type.FunctionParameters", "Type.FunctionRequiredParameters",
		"Type.FunctionReturn", "Type.RecordFields", "Type.ListItem", "Type.TableRow", "Type.TableSchema",
		"Type.AddTableKey", "Type.IsNullable", "Type.NonNullable", "Type.ClosedRecord", "Type.IsOpenRecord",
		"Int64.Type", "Int32.Type", "Text.Type", "Uri.Type", "Logical.Type", "Number.Type", "Date.Type",
		"DateTime.Type", "Record.Type", "List.Type", "Table.Type", "Function.Type", "Binary.Type",
		"Expression.Evaluate", "Expression.Constant", "Expression.Identifier",
		"Function.Invoke", "Function.From", "Function.InvokeAfter",
		"Splitter.SplitByNothing", "Int64.From", "Int32.From", "Number.From", "Logical.From", "Number.ToText",
		"Number.FromText",
	},
	"3: data shaping": {
		"Table.FromRecords", "Table.FromList", "Table.FromRows", "Table.FromColumns", "Table.ToRecords",
		"Table.ToRows", "Table.ToList",
		"Table.AddColumn", "Table.SelectColumns", "Table.RemoveColumns", "Table.RenameColumns",
		"Table.ReorderColumns", "Table.SelectRows", "Table.InsertRows", "Table.Distinct",
		"Table.ExpandRecordColumn", "Table.ExpandTableColumn", "Table.ExpandListColumn",
		"Table.TransformColumnTypes", "Table.TransformColumns", "Table.TransformRows",
		"Table.ColumnNames", "Table.Column", "Table.RowCount", "Table.IsEmpty", "Table.HasColumns", "Table.Schema",
		"Table.FirstN", "Table.First", "Table.FirstValue", "Table.Skip",
		"Table.Sort", "Order.Ascending", "Order.Descending", "Table.Group", "Table.Join", "Table.NestedJoin",
		"JoinKind.Inner", "JoinKind.LeftOuter", "JoinKind.RightOuter", "JoinKind.FullOuter", "JoinKind.LeftAnti",
		"JoinKind.RightAnti", "JoinKind.LeftSemi", "JoinKind.RightSemi",
		"Table.Combine", "Table.AddIndexColumn", "Table.PromoteHeaders", "Table.Buffer",
		"List.Generate", "List.Accumulate", "List.IsEmpty", "List.Last", "List.Distinct", "List.Difference",
		"List.RemoveNulls", "List.RemoveItems", "List.PositionOf", "List.Zip", "List.MatchesAll", "List.Sum",
		"List.Max", "List.Min", "List.Skip", "List.FirstN", "List.InsertRange",
		"Record.SelectFields", "Record.RenameFields", "Record.ReorderFields", "Record.TransformFields",
		"Record.FromTable", "Record.ToList",
		"Text.PadStart", "Text.PositionOf", "Text.Range", "Text.Middle", "Text.ToList",
		"Number.Round", "Number.RoundDown", "Number.RoundUp", "Number.Mod", "Number.IntegerDivide", "Number.Power",
		"Number.Abs", "Number.IsNaN", "Number.BitwiseOr", "Number.BitwiseAnd",
		"Date.From", "DateTime.From", "DateTimeZone.From", "Duration.From", "Time.From", "DateTime.ToText",
		"Date.ToText", "Date.Year", "Date.Month", "Date.Day", "Date.AddDays",
		"Character.FromNumber", "Character.ToNumber",
		"MissingField.Error", "MissingField.Ignore", "MissingField.UseNull",
		"ExtraValues.List", "ExtraValues.Error", "ExtraValues.Ignore",
		// Keys ride on the table type, so the tier 4 Table.AddKey comes
		// with them.
		"Table.AddKey", "Table.Keys", "Table.ReplaceKeys", "Type.TableKeys", "Type.ReplaceTableKeys",
	},
}

// unsupportedSuffix ends the message of every deliberately unsupported
// library name.
const unsupportedSuffix = "is not supported by the pqx evaluator"

// TestLibraryTiersResolve: every name of tiers 1–3 is in the library, and
// no function among them is a "not supported" stub.
func TestLibraryTiersResolve(t *testing.T) {
	th := NewThread(nil, testHost())
	total := 0
	for tier, names := range tierNames {
		seen := map[string]bool{}
		for _, name := range names {
			if seen[name] {
				t.Errorf("tier %s lists %s twice", tier, name)
			}
			seen[name] = true
			total++
			v, ok := library[name]
			if !ok {
				t.Errorf("tier %s: %s is missing from the library", tier, name)
				continue
			}
			f, ok := v.(*Function)
			if !ok {
				continue // a constant or a type value
			}
			// A stub accepts any arguments and fails with Unsupported; a
			// real function fails on arity or runs.
			_, err := Call(th, f, nil)
			if me := AsError(err); me != nil && strings.HasSuffix(me.Message(), unsupportedSuffix) {
				t.Errorf("tier %s: %s is only a stub: %s", tier, name, me.Message())
			}
		}
	}
	if total < 200 {
		t.Fatalf("only %d names audited; the tier lists were cut", total)
	}
}

// TestLibraryTierKinds: enumeration members are numbers, credential
// reasons are text, primitive type values are types, the rest functions.
func TestLibraryTierKinds(t *testing.T) {
	for _, names := range tierNames {
		for _, name := range names {
			v, ok := library[name]
			if !ok {
				continue // reported by TestLibraryTiersResolve
			}
			var want Kind
			switch {
			case strings.HasSuffix(name, ".Type") && !strings.HasPrefix(name, "Value."):
				want = KindType
			case strings.HasPrefix(name, "Credential."):
				want = KindText // the reason Extension.CredentialError raises
			case strings.HasPrefix(name, "JoinKind.") || strings.HasPrefix(name, "Order.") ||
				strings.HasPrefix(name, "MissingField.") || strings.HasPrefix(name, "ExtraValues.") ||
				strings.HasPrefix(name, "BinaryEncoding.") || strings.HasPrefix(name, "TextEncoding.") ||
				strings.HasPrefix(name, "CryptoAlgorithm."):
				want = KindNumber
			default:
				want = KindFunction
			}
			if v.Kind() != want {
				t.Errorf("%s is a %s, want a %s", name, v.Kind(), want)
			}
		}
	}
}

// TestTier4FailsLoudly: what the reference defers to tier 4 fails with a
// clear Expression.Error naming the function, whether it is registered as
// unsupported (Table.View with its real handler-record call) or not
// registered at all (a family pqx does not implement).
func TestTier4FailsLoudly(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Table.View(null, [GetType = () => type table [A = number], GetRows = () => #table({"A"}, {{1}})])`,
			reason: "Expression.Error", msg: "Table.View " + unsupportedSuffix},
		{src: `Table.View(#table({"A"}, {{1}}), [])`, reason: "Expression.Error", msg: "Table.View " + unsupportedSuffix},
		{src: `Value.NativeQuery(#table({"A"}, {}), "select 1")`, reason: "Expression.Error", msg: "Value.NativeQuery " + unsupportedSuffix},
		{src: `OData.Feed("http://127.0.0.1/odata")`, reason: "Expression.Error", msg: "OData.Feed " + unsupportedSuffix},
		{src: `Csv.Document("a,b")`, reason: "Expression.Error", msg: "Csv.Document " + unsupportedSuffix},
		{src: `Odbc.DataSource("dsn=x")`, reason: "Expression.Error", msg: "Odbc.DataSource " + unsupportedSuffix},
		{src: `Odbc.Query("dsn=x", "select 1")`, reason: "Expression.Error", msg: "Odbc.Query " + unsupportedSuffix},
		{src: `RowExpression.Column("A")`, reason: "Expression.Error", msg: "RowExpression.Column " + unsupportedSuffix},
		{src: `Cube.Dimensions(1)`, reason: "Expression.Error", msg: "Cube.Dimensions " + unsupportedSuffix},
		{src: `BinaryFormat.Byte`, reason: "Expression.Error", msg: "BinaryFormat.Byte " + unsupportedSuffix},
		// The error is an ordinary M error: connectors that probe with try
		// can fall back.
		{src: `try Table.View(null, []) otherwise "fallback"`, want: `"fallback"`},
		{src: `(try Table.View(null, []))[Error][Reason]`, want: `"Expression.Error"`},
	})
}
