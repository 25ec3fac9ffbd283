package mockidp

import "testing"

func TestSelfTest(t *testing.T) {
	for _, p := range Profiles() {
		checks, err := SelfTest(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) < 10 {
			t.Errorf("%s: only %d checks", p, len(checks))
		}
		for _, c := range checks {
			if !c.OK {
				t.Errorf("%s: %s: %s", p, c.Name, c.Detail)
			}
		}
	}
}
