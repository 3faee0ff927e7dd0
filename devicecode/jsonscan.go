package devicecode

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// A tiny JSON reader for the flat objects OAuth endpoints return. It walks
// the top-level members without allocating (a pending poll's reply is
// recognised by comparing bytes) and only the fields the engine keeps are
// turned into strings. Nested values are skipped, depth-limited.

var errJSON = errors.New("malformed JSON")

// objScanner iterates over the members of one JSON object.
type objScanner struct {
	data  []byte
	pos   int
	first bool
	err   error
}

func newObjScanner(data []byte) objScanner {
	s := objScanner{data: data, first: true}
	s.skipWS()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		s.err = errJSON
		return s
	}
	s.pos++
	return s
}

func (s *objScanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// next returns the next member's raw key (without quotes, escapes kept) and
// raw value. ok is false at the end of the object or on an error (s.err).
func (s *objScanner) next() (key, val []byte, ok bool) {
	if s.err != nil {
		return nil, nil, false
	}
	s.skipWS()
	if s.pos >= len(s.data) {
		s.err = errJSON
		return nil, nil, false
	}
	if s.data[s.pos] == '}' {
		s.pos++
		s.skipWS()
		if s.pos != len(s.data) {
			s.err = errJSON
		}
		return nil, nil, false
	}
	if !s.first {
		if s.data[s.pos] != ',' {
			s.err = errJSON
			return nil, nil, false
		}
		s.pos++
		s.skipWS()
	}
	s.first = false
	start := s.pos
	if !s.skipString() {
		s.err = errJSON
		return nil, nil, false
	}
	key = s.data[start+1 : s.pos-1]
	s.skipWS()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		s.err = errJSON
		return nil, nil, false
	}
	s.pos++
	s.skipWS()
	start = s.pos
	if !s.skipValue(0) {
		s.err = errJSON
		return nil, nil, false
	}
	return key, s.data[start:s.pos], true
}

// skipString moves past a string starting at pos.
func (s *objScanner) skipString() bool {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return false
	}
	for i := s.pos + 1; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '\\':
			i++
		case c == '"':
			s.pos = i + 1
			return true
		case c < 0x20:
			return false
		}
	}
	return false
}

const maxDepth = 32

func (s *objScanner) skipValue(depth int) bool {
	if depth > maxDepth || s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; c {
	case '"':
		return s.skipString()
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.pos++
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == end {
			s.pos++
			return true
		}
		for {
			s.skipWS()
			if c == '{' {
				if !s.skipString() {
					return false
				}
				s.skipWS()
				if s.pos >= len(s.data) || s.data[s.pos] != ':' {
					return false
				}
				s.pos++
				s.skipWS()
			}
			if !s.skipValue(depth + 1) {
				return false
			}
			s.skipWS()
			if s.pos >= len(s.data) {
				return false
			}
			switch s.data[s.pos] {
			case ',':
				s.pos++
			case end:
				s.pos++
				return true
			default:
				return false
			}
		}
	default:
		// number, true, false, null
		start := s.pos
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return s.pos > start && validLiteral(s.data[start:s.pos])
			}
			s.pos++
		}
		return s.pos > start && validLiteral(s.data[start:s.pos])
	}
}

func validLiteral(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9'))
}

// jsonString decodes a raw JSON string value; null is "".
func jsonString(raw []byte) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", errJSON
	}
	in := raw[1 : len(raw)-1]
	simple := true
	for _, c := range in {
		if c == '\\' || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple {
		return string(in), nil
	}
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(in) {
			return "", errJSON
		}
		switch in[i] {
		case '"', '\\', '/':
			out = append(out, in[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := hex4(in[i+1:])
			if n < 0 {
				return "", errJSON
			}
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+2 < len(in) && in[i+1] == '\\' && in[i+2] == 'u' {
				if r2, n2 := hex4(in[i+3:]); n2 >= 0 && r2 >= 0xDC00 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					i += 6
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errJSON
		}
	}
	if !utf8.Valid(out) {
		out = []byte(string([]rune(string(out)))) // replace invalid bytes
	}
	return string(out), nil
}

func hex4(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, -1
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, -1
		}
	}
	return r, 4
}

// jsonSeconds reads a non-negative whole number of seconds given as a JSON
// number or, as Entra's v1 endpoint does, a numeric string. null is 0.
func jsonSeconds(raw []byte) (int64, error) {
	if string(raw) == "null" {
		return 0, nil
	}
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	if len(raw) == 0 || len(raw) > 12 {
		return 0, errJSON
	}
	var n int64
	for i, c := range raw {
		if c == '.' && i > 0 { // 900.0: keep the whole part
			for _, d := range raw[i+1:] {
				if d < '0' || d > '9' {
					return 0, errJSON
				}
			}
			return n, nil
		}
		if c < '0' || c > '9' {
			return 0, errJSON
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// jsonInts reads an array of integers (Entra's error_codes). Unreadable
// entries are dropped: the codes are diagnostics.
func jsonInts(raw []byte) []int {
	if len(raw) < 2 || raw[0] != '[' {
		return nil
	}
	var out []int
	n, in := 0, false
	for _, c := range raw[1:] {
		if c >= '0' && c <= '9' {
			if n < 1e9 {
				n = n*10 + int(c-'0')
			}
			in = true
			continue
		}
		if in {
			out = append(out, n)
			n, in = 0, false
		}
		if c != ',' && c != ' ' && c != ']' && c != '\n' && c != '\r' && c != '\t' {
			return out
		}
	}
	return out
}
