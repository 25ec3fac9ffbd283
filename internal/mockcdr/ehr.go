package mockcdr

import (
	"fmt"
	"net/http"
	"regexp"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ehrJSON renders an EHR as EHRbase 2.30+ does: ehr_status and ehr_access
// are references, not embedded objects.
func ehrJSON(e EHR) map[string]any {
	ref := func(typ string) map[string]any {
		return map[string]any{
			"id":        map[string]any{"_type": "OBJECT_VERSION_ID", "value": e.ID[:8] + "-status::mock.pqx.local::1"},
			"namespace": "local",
			"type":      typ,
		}
	}
	return map[string]any{
		"system_id":    map[string]any{"value": "mock.pqx.local"},
		"ehr_id":       map[string]any{"value": e.ID},
		"ehr_status":   ref("EHR_STATUS"),
		"ehr_access":   ref("EHR_ACCESS"),
		"time_created": map[string]any{"value": isoTime(e.TimeCreated)},
	}
}

func (s *Server) ehr(id string) *reply {
	if !uuidRE.MatchString(id) {
		return s.errorReply(http.StatusBadRequest, fmt.Sprintf("EHR ID format not a UUID: %s", id), "ehr_id: not a UUID")
	}
	i := s.cat.data.ehrIndex(id)
	if i < 0 {
		return s.errorReply(http.StatusNotFound, fmt.Sprintf("EHR with id %s not found", id))
	}
	return jsonReply(http.StatusOK, ehrJSON(s.cat.data.EHRs[i]))
}

func (s *Server) ehrBySubject(x *exchange) *reply {
	q := x.r.URL.Query()
	id, ns := q.Get("subject_id"), q.Get("subject_namespace")
	if id == "" || ns == "" {
		return s.errorReply(http.StatusBadRequest, "subject_id and subject_namespace are required", "subject_id, subject_namespace: required")
	}
	for _, e := range s.cat.data.EHRs {
		if e.SubjectID == id && e.SubjectNamespace == ns {
			return jsonReply(http.StatusOK, ehrJSON(e))
		}
	}
	return s.errorReply(http.StatusNotFound, fmt.Sprintf("No EHR found for subject %s in namespace %s", id, ns))
}
