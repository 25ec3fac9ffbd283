// Package token defines the lexical tokens of the Power Query M language and
// source positions (Pos, File, FileSet, Position), modelled on go/token.
//
// Positions are compact offsets into a FileSet; line and column are computed
// only when a position is printed. Columns count Unicode code points (runes),
// not bytes and not UTF-16 units, starting at 1.
package token

import "strconv"

// Kind is the kind of a lexical token.
type Kind uint8

// The token kinds of M. Keywords and punctuators follow the "Lexical
// structure" chapter of the M language specification.
const (
	ILLEGAL Kind = iota
	EOF
	COMMENT

	literalBeg
	IDENT        // Table.AddColumn, _, x1 (regular identifier, dots included)
	QUOTED_IDENT // #"any text"
	NUMBER       // 1, 1.5, .5, 1e-3, 0xFF
	TEXT         // "text"
	VERBATIM     // #!"verbatim"
	literalEnd

	keywordBeg
	AND
	AS
	EACH
	ELSE
	ERROR
	FALSE
	IF
	IN
	IS
	LET
	META
	NOT
	NULL
	OR
	OTHERWISE
	SECTION
	SHARED
	THEN
	TRUE
	TRY
	TYPE
	HASH_BINARY
	HASH_DATE
	HASH_DATETIME
	HASH_DATETIMEZONE
	HASH_DURATION
	HASH_INFINITY
	HASH_NAN
	HASH_SECTIONS
	HASH_SHARED
	HASH_TABLE
	HASH_TIME
	keywordEnd

	operatorBeg
	COMMA     // ,
	SEMICOLON // ;
	EQL       // =
	LSS       // <
	LEQ       // <=
	GTR       // >
	GEQ       // >=
	NEQ       // <>
	ADD       // +
	SUB       // -
	MUL       // *
	QUO       // /
	AMP       // &
	LPAREN    // (
	RPAREN    // )
	LBRACK    // [
	RBRACK    // ]
	LBRACE    // {
	RBRACE    // }
	AT        // @
	EXCL      // !
	QUEST     // ?
	COALESCE  // ??
	ARROW     // =>
	DOTDOT    // ..
	ELLIPSIS  // ...
	operatorEnd
)

var kindText = [...]string{
	ILLEGAL:      "ILLEGAL",
	EOF:          "EOF",
	COMMENT:      "COMMENT",
	IDENT:        "IDENT",
	QUOTED_IDENT: "QUOTED_IDENT",
	NUMBER:       "NUMBER",
	TEXT:         "TEXT",
	VERBATIM:     "VERBATIM",

	AND:               "and",
	AS:                "as",
	EACH:              "each",
	ELSE:              "else",
	ERROR:             "error",
	FALSE:             "false",
	IF:                "if",
	IN:                "in",
	IS:                "is",
	LET:               "let",
	META:              "meta",
	NOT:               "not",
	NULL:              "null",
	OR:                "or",
	OTHERWISE:         "otherwise",
	SECTION:           "section",
	SHARED:            "shared",
	THEN:              "then",
	TRUE:              "true",
	TRY:               "try",
	TYPE:              "type",
	HASH_BINARY:       "#binary",
	HASH_DATE:         "#date",
	HASH_DATETIME:     "#datetime",
	HASH_DATETIMEZONE: "#datetimezone",
	HASH_DURATION:     "#duration",
	HASH_INFINITY:     "#infinity",
	HASH_NAN:          "#nan",
	HASH_SECTIONS:     "#sections",
	HASH_SHARED:       "#shared",
	HASH_TABLE:        "#table",
	HASH_TIME:         "#time",

	COMMA:     ",",
	SEMICOLON: ";",
	EQL:       "=",
	LSS:       "<",
	LEQ:       "<=",
	GTR:       ">",
	GEQ:       ">=",
	NEQ:       "<>",
	ADD:       "+",
	SUB:       "-",
	MUL:       "*",
	QUO:       "/",
	AMP:       "&",
	LPAREN:    "(",
	RPAREN:    ")",
	LBRACK:    "[",
	RBRACK:    "]",
	LBRACE:    "{",
	RBRACE:    "}",
	AT:        "@",
	EXCL:      "!",
	QUEST:     "?",
	COALESCE:  "??",
	ARROW:     "=>",
	DOTDOT:    "..",
	ELLIPSIS:  "...",
}

// String returns the source text of keywords and punctuators and the name
// of other kinds.
func (k Kind) String() string {
	if int(k) < len(kindText) && kindText[k] != "" {
		return kindText[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// IsLiteral reports whether k is an identifier or a literal with a value.
func (k Kind) IsLiteral() bool { return literalBeg < k && k < literalEnd }

// IsKeyword reports whether k is a reserved keyword (including #-keywords).
func (k Kind) IsKeyword() bool { return keywordBeg < k && k < keywordEnd }

// IsOperator reports whether k is a punctuator.
func (k Kind) IsOperator() bool { return operatorBeg < k && k < operatorEnd }

var keywords map[string]Kind

func init() {
	keywords = make(map[string]Kind, keywordEnd-keywordBeg)
	for k := keywordBeg + 1; k < keywordEnd; k++ {
		keywords[kindText[k]] = k
	}
}

// Lookup returns the keyword kind of word, or IDENT if word is not reserved.
// Contextual words such as optional, nullable and catch are identifiers.
func Lookup(word string) Kind {
	// A switch on the spelling is several times faster than a map lookup,
	// and the scanner calls this for every short identifier.
	switch word {
	case "and":
		return AND
	case "as":
		return AS
	case "each":
		return EACH
	case "else":
		return ELSE
	case "error":
		return ERROR
	case "false":
		return FALSE
	case "if":
		return IF
	case "in":
		return IN
	case "is":
		return IS
	case "let":
		return LET
	case "meta":
		return META
	case "not":
		return NOT
	case "null":
		return NULL
	case "or":
		return OR
	case "otherwise":
		return OTHERWISE
	case "section":
		return SECTION
	case "shared":
		return SHARED
	case "then":
		return THEN
	case "true":
		return TRUE
	case "try":
		return TRY
	case "type":
		return TYPE
	}
	if len(word) > 1 && word[0] == '#' {
		if k, ok := keywords[word]; ok {
			return k
		}
	}
	return IDENT
}

// IsKeyword reports whether word is a reserved keyword of M.
func IsKeyword(word string) bool {
	_, ok := keywords[word]
	return ok
}

// Precedence levels of binary operators, loosest first. The M specification
// orders them (high to low): meta, * /, + - &, relational, equality, as, is,
// and, or, ??. Unary operators bind tighter than all of them.
const (
	LowestPrec         = 0
	PrecCoalesce       = 1
	PrecOr             = 2
	PrecAnd            = 3
	PrecIs             = 4
	PrecAs             = 5
	PrecEquality       = 6
	PrecRelational     = 7
	PrecAdditive       = 8
	PrecMultiplicative = 9
	PrecMeta           = 10
	UnaryPrec          = 11
)

// Precedence returns the binary precedence of k, or LowestPrec if k is not
// a binary operator.
func (k Kind) Precedence() int {
	switch k {
	case COALESCE:
		return PrecCoalesce
	case OR:
		return PrecOr
	case AND:
		return PrecAnd
	case IS:
		return PrecIs
	case AS:
		return PrecAs
	case EQL, NEQ:
		return PrecEquality
	case LSS, LEQ, GTR, GEQ:
		return PrecRelational
	case ADD, SUB, AMP:
		return PrecAdditive
	case MUL, QUO:
		return PrecMultiplicative
	case META:
		return PrecMeta
	}
	return LowestPrec
}

// PrimitiveTypes are the names of M's primitive types. They are contextual:
// outside a type position they are ordinary identifiers (null and type are
// keywords and also name primitive types).
var PrimitiveTypes = map[string]bool{
	"any": true, "anynonnull": true, "binary": true, "date": true, "datetime": true,
	"datetimezone": true, "duration": true, "function": true, "list": true,
	"logical": true, "none": true, "null": true, "number": true, "record": true,
	"table": true, "text": true, "time": true, "type": true, "action": true,
}
