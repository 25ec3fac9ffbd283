package eval

import (
	"strings"
	"time"
)

// Extension.* and Credential.* (SDK-only names), and the clock functions,
// all served by the Thread's Host.

func init() {
	for _, n := range []string{"AccessDenied", "AccessForbidden", "EncryptionNotSupported", "InvalidCredentials"} {
		registerValue("Credential."+n, Str("Credential."+n))
	}
	register(
		builtin("Extension.Contents", "name as text, optional options as nullable record", func(th *Thread, a []Value) (Value, error) {
			name := a[0].(Text).S
			if th.Host.Files != nil {
				if data, ok := th.Host.Files(name); ok {
					return Bytes(data), nil
				}
			}
			return nil, NewErrorDetail("Expression.Error", "The resource '"+name+"' wasn't found in the extension.", Str(name))
		}),
		builtin("Extension.LoadString", "name as text", func(th *Thread, a []Value) (Value, error) {
			name := a[0].(Text).S
			if s, ok := th.Host.Strings[name]; ok {
				return Str(s), nil
			}
			return nil, NewErrorDetail("Expression.Error", "The string resource '"+name+"' wasn't found in resources.resx.", Str(name))
		}),
		builtin("Extension.CurrentCredential", "optional forceRefresh as nullable logical", func(th *Thread, a []Value) (Value, error) {
			if b, ok := a[0].(Logical); ok && b.B && th.Host.RefreshCredential != nil {
				c, err := th.Host.RefreshCredential()
				if err != nil {
					if me := AsError(err); me != nil {
						return nil, me
					}
					return nil, NewError("DataSource.Error", "The credential could not be refreshed: "+err.Error())
				}
				return c.Record(), nil
			}
			if th.Host.Credential == nil {
				return nil, NewErrorDetail("Expression.Error",
					"Extension.CurrentCredential: no credential is set for this data source.", NullValue)
			}
			return th.Host.Credential.Record(), nil
		}),
		builtin("Extension.CredentialError", "reason as text, optional message as nullable text, optional detail as any", func(th *Thread, a []Value) (Value, error) {
			msg := a[1]
			if isNull(msg) {
				msg = Str("The credentials provided are invalid.")
			}
			return errorRecord(a[0], msg, a[2], NullValue, NullValue, NullValue), nil
		}),
		builtin("Extension.CurrentApplication", "", func(th *Thread, a []Value) (Value, error) {
			return NewRecord(Field{"Name", Str("pqx")}), nil
		}),
		builtin("DateTime.LocalNow", "", func(th *Thread, a []Value) (Value, error) {
			return DateTime{T: wallUTC(th.clock().Now())}, nil
		}),
		builtin("DateTime.FixedLocalNow", "", func(th *Thread, a []Value) (Value, error) {
			return DateTime{T: wallUTC(th.clock().Now())}, nil
		}),
		builtin("DateTimeZone.UtcNow", "", func(th *Thread, a []Value) (Value, error) {
			return DateTimeZone{T: th.clock().Now().UTC().In(time.FixedZone("", 0))}, nil
		}),
		builtin("DateTimeZone.FixedUtcNow", "", func(th *Thread, a []Value) (Value, error) {
			return DateTimeZone{T: th.clock().Now().UTC().In(time.FixedZone("", 0))}, nil
		}),
		builtin("DateTimeZone.LocalNow", "", func(th *Thread, a []Value) (Value, error) {
			now := th.clock().Now()
			_, off := now.Zone()
			return DateTimeZone{T: now.In(time.FixedZone("", off))}, nil
		}),
	)
	notSupported("Extension.InvokeWithCredentials", "Value.NativeQuery", "Table.View", "OData.Feed", "Odbc.DataSource", "Odbc.Query", "Csv.Document")
}

// wallUTC keeps the wall clock of t and drops its zone.
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// libraryModules are the module prefixes of the Power Query standard
// library; an unknown name in one of them is a function pqx does not
// implement yet, reported as such rather than as an unknown name.
var libraryModules = map[string]bool{
	"Access": true, "ActiveDirectory": true, "AdobeAnalytics": true, "AnalysisServices": true, "Binary": true,
	"BinaryFormat": true, "Byte": true, "Character": true, "Combiner": true, "Comparer": true, "Csv": true,
	"Cube": true, "Currency": true, "Date": true, "DateTime": true, "DateTimeZone": true, "Decimal": true,
	"Diagnostics": true, "Double": true, "Duration": true, "Error": true, "Excel": true, "Exchange": true,
	"Expression": true, "Extension": true, "Facebook": true, "File": true, "Folder": true, "Function": true,
	"Geography": true, "Geometry": true, "GoogleAnalytics": true, "Hdfs": true, "HdInsight": true, "Html": true,
	"Identity": true, "Int16": true, "Int32": true, "Int64": true, "Int8": true, "ItemExpression": true,
	"Json": true, "Lines": true, "List": true, "Logical": true, "MySQL": true, "Number": true, "OData": true,
	"Odbc": true, "OleDb": true, "Oracle": true, "Percentage": true, "PostgreSQL": true, "Precision": true, "Record": true,
	"Replacer": true, "RowExpression": true, "Salesforce": true, "SapBusinessWarehouse": true, "SapHana": true,
	"SharePoint": true, "Single": true, "Splitter": true, "Sql": true, "Sybase": true, "Table": true,
	"Teradata": true, "Text": true, "Time": true, "Type": true, "Uri": true, "Value": true, "Variable": true,
	"Web": true, "WebAction": true, "Xml": true,
}

func isLibraryName(name string) bool {
	mod, _, ok := strings.Cut(name, ".")
	return ok && libraryModules[mod]
}
