package mockcdr

import (
	"fmt"
	"net/http"
	"regexp"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ehrJSON renders an EHR as EHRbase 2.30+ and the specification do:
// ehr_status and ehr_access are references, not embedded objects. With
// legacy set, ehr_status is the embedded EHR_STATUS object with its
// subject, as EHRbase served it before 2.30.
func ehrJSON(e EHR, legacy bool) map[string]any {
	ref := func(typ, suffix string) map[string]any {
		return map[string]any{
			"id":        map[string]any{"_type": "OBJECT_VERSION_ID", "value": e.ID[:8] + suffix + "::mock.pqx.local::1"},
			"namespace": "local",
			"type":      typ,
		}
	}
	status := ref("EHR_STATUS", "-status")
	if legacy {
		status = map[string]any{
			"_type":             "EHR_STATUS",
			"uid":               map[string]any{"_type": "OBJECT_VERSION_ID", "value": e.ID[:8] + "-status::mock.pqx.local::1"},
			"archetype_node_id": "openEHR-EHR-EHR_STATUS.generic.v1",
			"name":              map[string]any{"_type": "DV_TEXT", "value": "EHR Status"},
			"subject": map[string]any{
				"_type": "PARTY_SELF",
				"external_ref": map[string]any{
					"id":        map[string]any{"_type": "GENERIC_ID", "value": e.SubjectID, "scheme": "id_scheme"},
					"namespace": e.SubjectNamespace,
					"type":      "PERSON",
				},
			},
			"is_queryable":  true,
			"is_modifiable": true,
		}
	}
	return map[string]any{
		"system_id":    map[string]any{"value": "mock.pqx.local"},
		"ehr_id":       map[string]any{"value": e.ID},
		"ehr_status":   status,
		"ehr_access":   ref("EHR_ACCESS", "-access"),
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
	return jsonReply(http.StatusOK, ehrJSON(s.cat.data.EHRs[i], s.cfg.LegacyEHRStatus))
}

func (s *Server) ehrBySubject(x *exchange) *reply {
	q := x.r.URL.Query()
	id, ns := q.Get("subject_id"), q.Get("subject_namespace")
	if id == "" || ns == "" {
		return s.errorReply(http.StatusBadRequest, "subject_id and subject_namespace are required", "subject_id, subject_namespace: required")
	}
	for _, e := range s.cat.data.EHRs {
		if e.SubjectID == id && e.SubjectNamespace == ns {
			return jsonReply(http.StatusOK, ehrJSON(e, s.cfg.LegacyEHRStatus))
		}
	}
	return s.errorReply(http.StatusNotFound, fmt.Sprintf("No EHR found for subject %s in namespace %s", id, ns))
}
