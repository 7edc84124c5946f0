package enroll

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/wellcheck/wellcheck"
)

// DecodeRequest reads an enrolment request from JSON (`wellcheck enroll
// --file`, the API's POST /api/v1/persons) as DecodeJSON does.
func DecodeRequest(data []byte) (Request, error) {
	var req Request
	err := DecodeJSON(data, &req)
	return req, err
}

// DecodeJSON decodes one JSON value from data into v strictly: an unknown
// field is a mistake its author wants to hear about, not silently dropped data,
// and so is anything after the value. Errors are invalid input that says
// where (the line, or the field).
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return wellcheck.Errorf(wellcheck.EInvalid, "json_invalid", "empty body")
		}
		return wellcheck.Errorf(wellcheck.EInvalid, "json_invalid", describeJSONError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return wellcheck.Errorf(wellcheck.EInvalid, "json_invalid", "more than one JSON value")
	}
	return nil
}

// describeJSONError adds the line number to decoding errors that carry an offset.
func describeJSONError(data []byte, err error) string {
	var offset int64 = -1
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}
