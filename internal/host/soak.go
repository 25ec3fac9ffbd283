package host

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pqxdev/pqx/internal/mockidp"
)

// Soak is the outcome of scheduled refreshes on the virtual clock.
type Soak struct {
	Days      int           `json:"days"`
	Every     time.Duration `json:"every_ns"`
	Refreshes int           `json:"refreshes"`
	// LoginAgainDay is the day (counted from the interactive login, day 1
	// being its first 24 hours) on which a refresh first failed, so the user
	// had to sign in again; 0 means the credential lasted the whole soak.
	LoginAgainDay int `json:"login_again_day,omitempty"`
	// Reason is the IDP's journal reason and hint for that failure.
	Reason string `json:"reason,omitempty"`
}

// soak signs in once, then refreshes every Options.SoakEvery for
// Options.SoakDays virtual days, as the Power BI service's scheduled refresh
// does, and reports the day a new interactive login becomes necessary.
func (s *session) soak() {
	days, every := s.opt.SoakDays, s.opt.SoakEvery
	if every <= 0 {
		every = 12 * time.Hour
	}
	s.step(fmt.Sprintf("scheduled refresh soak (%d days, every %s)", days, every), func(st *Step) error {
		lg, err := s.quietStartLogin(s.opt.State)
		if err != nil {
			return err
		}
		cb, err := s.navigate(lg)
		if err != nil {
			return err
		}
		v, err := s.callFinishLogin(lg, cb)
		if err != nil {
			return err
		}
		tok, err := s.toToken("FinishLogin", v)
		if err != nil {
			return err
		}
		if tok.refreshToken == "" {
			st.Detail = "FinishLogin returned no refresh_token: every expiry needs a new interactive login"
			return errSkip
		}
		st.Report = true
		login := s.opt.Clock.Now()
		res := &Soak{Days: days, Every: every}
		s.res.Soak = res
		for s.opt.Clock.Now().Sub(login)+every <= time.Duration(days)*24*time.Hour {
			s.opt.Clock.Advance(every)
			var mark int64
			if s.opt.IDP != nil {
				if es := s.opt.IDP.Journal().Entries(); len(es) > 0 {
					mark = es[len(es)-1].Seq
				}
			}
			next, err := s.refreshQuiet(tok)
			res.Refreshes++
			if err != nil {
				elapsed := s.opt.Clock.Now().Sub(login)
				res.LoginAgainDay = int(math.Ceil(elapsed.Hours() / 24))
				res.Reason = describe(err)
				if s.opt.IDP != nil {
					for _, e := range s.opt.IDP.Journal().Filter(func(e *mockidp.Entry) bool { return e.Seq > mark && e.Endpoint == "token" }) {
						res.Reason = e.Reason
						if e.Hint != "" {
							res.Reason += ": " + e.Hint
						}
					}
				}
				st.Detail = fmt.Sprintf("refresh %d failed on day %d after the login (%s): the user must sign in again; %s", res.Refreshes, res.LoginAgainDay, elapsed, res.Reason)
				return nil
			}
			tok = next
		}
		st.Detail = fmt.Sprintf("%d refreshes over %d days: the credential stayed alive", res.Refreshes, days)
		return nil
	})
}

// refreshQuiet runs Refresh without recording a step.
func (s *session) refreshQuiet(old *token) (*token, error) {
	n := len(s.res.Steps)
	tok, ok := s.refresh("Refresh", old)
	st := s.res.Steps[n]
	s.res.Steps = s.res.Steps[:n]
	if !ok {
		if st.Error == "" {
			return nil, errors.New(st.Detail)
		}
		return nil, errors.New(st.Error)
	}
	return tok, nil
}
