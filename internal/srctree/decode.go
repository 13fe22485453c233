package srctree

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Decode decodes a YAML tree into a Go value with json tags (the k8s.io
// types), exactly as sigs.k8s.io/yaml.Unmarshal (strict:
// sigs.k8s.io/yaml.UnmarshalStrict) does, messages included: the YAML is
// read as YAML 1.1 (yes/no/on/off are booleans, 0755 is octal), turned
// into JSON (numbers and booleans become strings where the target field is
// a string), and decoded by encoding/json (strict: unknown fields are
// errors). Strict also refuses a key given twice, naming its line.
// FuzzDecode proves the equivalence against sigs.k8s.io/yaml.
func (n *Node) Decode(into any, strict bool) error {
	d := &decoder{strict: strict, budget: 10*n.count(map[*Node]bool{}) + 10000}
	v, err := d.value(n)
	if err == nil && len(d.dups) > 0 {
		err = errors.New("yaml: unmarshal errors:\n  " + strings.Join(d.dups, "\n  "))
	}
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	target := reflect.ValueOf(into)
	jv, err := jsonable(v, target.Type())
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	data, err := json.Marshal(jv)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&into); err != nil {
		return fmt.Errorf("error unmarshaling JSON: while decoding JSON: %w", err)
	}
	return nil
}

// count is the number of distinct nodes.
func (n *Node) count(seen map[*Node]bool) int {
	if n == nil || seen[n] {
		return 0
	}
	seen[n] = true
	c := 1
	for _, f := range n.Fields {
		c += f.Value.count(seen)
	}
	for _, it := range n.Items {
		c += it.count(seen)
	}
	return c
}

// decoder builds the values go.yaml.in/yaml/v2 (under sigs.k8s.io/yaml)
// decodes into interface{}: map[any]any, []any, string, int, int64,
// uint64, float64, bool, nil.
type decoder struct {
	strict bool
	dups   []string
	budget int // values left to build: aliases cannot expand without bound
}

func (d *decoder) value(n *Node) (any, error) {
	if d.budget--; d.budget < 0 {
		return nil, errors.New("yaml: document contains excessive aliasing")
	}
	switch n.Kind {
	case Mapping:
		if n.complexKey {
			return nil, errors.New("yaml: invalid map key: a mapping or a list")
		}
		m := map[any]any{}
		if err := d.mapping(n, m); err != nil {
			return nil, err
		}
		return m, nil
	case Sequence:
		out := make([]any, 0, len(n.Items))
		for _, it := range n.Items {
			v, err := d.value(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case Null:
		return nil, nil
	}
	return scalar(n.Text, n.yaml)
}

// mapping fills m as yaml.v2 does: in order, merge keys in place (a list
// of them backwards, so the earlier wins), a key set twice an error when
// strict (the first value kept), else the last wins.
func (d *decoder) mapping(n *Node, m map[any]any) error {
	for _, f := range n.Fields {
		if f.merge {
			list := []*Node{f.Value}
			if f.Value.Kind == Sequence {
				list = f.Value.Items
			}
			for i := len(list) - 1; i >= 0; i-- {
				if list[i].Kind != Mapping {
					return errors.New("yaml: map merge requires map or sequence of maps as the value")
				}
				if err := d.mapping(list[i], m); err != nil {
					return err
				}
			}
			continue
		}
		k, err := scalar(f.Key, f.key)
		if err != nil {
			return err
		}
		v, err := d.value(f.Value)
		if err != nil {
			return err
		}
		if _, set := m[k]; set && d.strict {
			line := f.valueLine
			if line == 0 {
				line = f.Value.Line
			}
			d.dups = append(d.dups, fmt.Sprintf("line %d: key %#v already set in map", line, k))
			continue
		}
		m[k] = v
	}
	return nil
}

// yamlStyleFloat is yaml.v2's float syntax.
var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// scalar is yaml.v2's reading of a scalar (decode.go scalar, resolve.go):
// plain scalars are YAML 1.1 (y, yes, on, off, ... are booleans; ints
// with 0x, 0o, 0b, a leading 0 or underscores; timestamps stay strings),
// quoted ones strings, and a written tag says what to read.
func scalar(text string, y *yamlInfo) (any, error) {
	if y == nil { // JSON
		return text, nil
	}
	switch {
	case !y.tagged && !y.plain:
		return text, nil
	case !y.tagged:
		return resolvePlain(text), nil
	}
	switch y.tag {
	case "!!binary":
		data, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, errors.New("yaml: !!binary value contains invalid base64 data")
		}
		return string(data), nil
	case "!!int", "!!float", "!!bool", "!!null":
	default: // !!str, !!timestamp (a string in interface{}), custom tags
		return text, nil
	}
	v := resolvePlain(text)
	got := "!!str"
	switch x := v.(type) {
	case nil:
		got = "!!null"
	case bool:
		got = "!!bool"
	case int, int64, uint64:
		got = "!!int"
		if y.tag == "!!float" {
			switch i := x.(type) {
			case int:
				return float64(i), nil
			case int64:
				return float64(i), nil
			}
		}
	case float64:
		got = "!!float"
	}
	if got != y.tag {
		return nil, fmt.Errorf("yaml: cannot decode %s `%s` as a %s", got, text, y.tag)
	}
	return v, nil
}

// resolvePlain is yaml.v2's resolve of an untagged plain scalar.
func resolvePlain(text string) any {
	switch text {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE":
		return true
	case "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE":
		return false
	case "", "~", "null", "Null", "NULL":
		return nil
	case ".nan", ".NaN", ".NAN":
		return math.NaN()
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1)
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1)
	}
	switch c := text[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f
		}
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		if isTimestamp(text) {
			return text
		}
		plain := strings.ReplaceAll(text, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return intOf(i)
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return u
		}
		if yamlStyleFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return f
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return intOf(i)
			}
			if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return u
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return int(i)
			}
		}
	}
	return text
}

// intOf is int when it fits (64-bit platforms: always), as yaml.v2 returns.
func intOf(i int64) any {
	if i == int64(int(i)) {
		return int(i)
	}
	return i
}

// isTimestamp is yaml.v2's timestamp syntax (parseTimestamp): such plain
// scalars decode into interface{} as strings.
func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}

// jsonable is sigs.k8s.io/yaml's convertToJSONableObject: keys become
// strings, and a number or boolean becomes a string where the target (the
// field encoding/json would fill) is a string.
func jsonable(v any, target reflect.Type) (any, error) {
	target = jsonTarget(target)
	switch x := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var key string
			switch tk := k.(type) {
			case string:
				key = tk
			case int:
				key = strconv.Itoa(tk)
			case int64:
				key = strconv.FormatInt(tk, 10)
			case uint64:
				key = strconv.FormatUint(tk, 10)
			case float64:
				key = strconv.FormatFloat(tk, 'g', -1, 32)
				switch key {
				case "+Inf":
					key = ".inf"
				case "-Inf":
					key = "-.inf"
				case "NaN":
					key = ".nan"
				}
			case bool:
				key = strconv.FormatBool(tk)
			default:
				return nil, fmt.Errorf("unsupported map key of type: %s, key: %+#v, value: %+#v", reflect.TypeOf(k), k, e)
			}
			var et reflect.Type
			if target != nil {
				switch target.Kind() {
				case reflect.Struct:
					if f, ok := structField(target, key); ok {
						et = f
					}
				case reflect.Map:
					et = target.Elem()
				}
			}
			ev, err := jsonable(e, et)
			if err != nil {
				return nil, err
			}
			out[key] = ev
		}
		return out, nil
	case []any:
		var et reflect.Type
		if target != nil && target.Kind() == reflect.Slice {
			et = target.Elem()
		}
		out := make([]any, len(x))
		for i, e := range x {
			ev, err := jsonable(e, et)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	if target != nil && target.Kind() == reflect.String {
		switch x := v.(type) {
		case int:
			return strconv.Itoa(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case uint64:
			return strconv.FormatUint(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 32), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
	}
	return v, nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// jsonTarget is the type a value decodes into through pointers, or nil
// when a type unmarshals itself (no coercion there).
func jsonTarget(t reflect.Type) reflect.Type {
	for t != nil {
		p := reflect.PointerTo(t)
		if p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			return t
		}
		t = t.Elem()
	}
	return nil
}

// structField is the type of the field of t that encoding/json fills for
// key (an exact name, else the first that matches case-insensitively);
// for a field promoted from an embedded struct, the embedded struct's
// type, as sigs.k8s.io/yaml looks it up.
func structField(t reflect.Type, key string) (reflect.Type, bool) {
	fields := jsonFields(t)
	var f *jsonField
	for i := range fields {
		if fields[i].name == key {
			f = &fields[i]
			break
		}
		if f == nil && strings.EqualFold(fields[i].name, key) {
			f = &fields[i]
		}
	}
	if f == nil {
		return nil, false
	}
	return t.Field(f.index[0]).Type, true
}

type jsonField struct {
	name   string
	index  []int
	tagged bool
}

var fieldCache sync.Map // reflect.Type → []jsonField

// jsonFields are the fields encoding/json decodes into for struct type t,
// with its rules: json tag names, "-" skipped, unexported fields skipped,
// embedded structs without a name promoted, and of fields with one name
// the shallowest (then the tagged) one wins, ambiguity hides them all.
func jsonFields(t reflect.Type) []jsonField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]jsonField)
	}
	type level struct {
		typ   reflect.Type
		index []int
	}
	var out []jsonField
	next := []level{{typ: t}}
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		byName := map[string][]jsonField{}
		var order []string
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := 0; i < l.typ.NumField(); i++ {
				sf := l.typ.Field(i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				index := append(append([]int(nil), l.index...), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, level{typ: ft, index: index})
					continue
				}
				tagged := name != ""
				if name == "" {
					name = sf.Name
				}
				if _, seen := byName[name]; !seen {
					order = append(order, name)
				}
				byName[name] = append(byName[name], jsonField{name: name, index: index, tagged: tagged})
			}
		}
		for _, name := range order {
			if hidden(out, name) {
				continue
			}
			fs := byName[name]
			if len(fs) > 1 {
				var tagged []jsonField
				for _, f := range fs {
					if f.tagged {
						tagged = append(tagged, f)
					}
				}
				if len(tagged) != 1 {
					out = append(out, jsonField{name: name}) // ambiguous: hides deeper ones, matches nothing
					continue
				}
				fs = tagged
			}
			out = append(out, fs[0])
		}
	}
	kept := out[:0]
	for _, f := range out {
		if f.index != nil {
			kept = append(kept, f)
		}
	}
	fieldCache.Store(t, kept)
	return kept
}

func hidden(fields []jsonField, name string) bool {
	for _, f := range fields {
		if f.name == name {
			return true
		}
	}
	return false
}
