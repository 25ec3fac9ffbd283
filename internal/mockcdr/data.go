package mockcdr

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Dataset is the seeded clinical data behind the fixtures. It is immutable
// once generated and shared by every server with the same seed.
type Dataset struct {
	Seed          uint64
	EHRs          []EHR
	Compositions  []Composition
	BloodPressure []BPObservation
	Temperatures  []TempObservation
	Pulses        []PulseObservation
	Bulk          []BPObservation
}

// EHR is one electronic health record.
type EHR struct {
	ID               string
	TimeCreated      time.Time
	SubjectID        string
	SubjectNamespace string
}

// Composition is one committed composition; every observation has its own.
type Composition struct {
	UID        string
	EHR        int // index into Dataset.EHRs
	Name       string
	TemplateID string
	StartTime  time.Time
}

// BPObservation is a blood pressure reading in mm[Hg].
type BPObservation struct {
	EHR, Composition    int
	Time                time.Time
	Systolic, Diastolic float64
	Position            string // coded position of the subject, at1000..at1003
}

// TempObservation is a body temperature reading.
type TempObservation struct {
	EHR, Composition int
	Time             time.Time
	Temperature      float64
	Unit             string // "Cel" or "°C": both occur in real data
}

// PulseObservation is a heart rate in /min.
type PulseObservation struct {
	EHR, Composition int
	Time             time.Time
	Rate             float64
}

// Sizes of the generated data.
const (
	NumEHRs  = 25
	BulkRows = 10007
)

// Template ids of the seeded compositions.
const (
	TemplateBP    = "pqx.blood_pressure.v1"
	TemplateTemp  = "pqx.body_temperature.v1"
	TemplatePulse = "pqx.pulse.v1"
	TemplateBulk  = "pqx.bulk_blood_pressure.v1"
)

// subjectNamespace is the namespace of the EHR subjects' external ids.
const subjectNamespace = "pqx.mock.patients"

var (
	dataStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	dataEnd   = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	// cet is a fixed +01:00 zone: the data reads like a Central European
	// hospital's and keeps offsets in timestamps, as CDRs do.
	cet = time.FixedZone("+01:00", 3600)
)

var datasets sync.Map // seed → *Dataset

// Generate returns the dataset for seed (0 means 1). Equal seeds give equal
// data on every platform: math/rand/v2's PCG is specified bit for bit.
func Generate(seed uint64) *Dataset {
	if seed == 0 {
		seed = 1
	}
	if d, ok := datasets.Load(seed); ok {
		return d.(*Dataset)
	}
	d, _ := datasets.LoadOrStore(seed, generate(seed))
	return d.(*Dataset)
}

func generate(seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	d := &Dataset{Seed: seed}
	span := dataEnd.Sub(dataStart)
	randTime := func(from time.Time) time.Time {
		left := dataEnd.Sub(from)
		if left <= 0 {
			left = time.Hour
		}
		// Whole seconds keep the text form stable and simple.
		return from.Add(time.Duration(r.Int64N(int64(left/time.Second))) * time.Second).In(cet)
	}
	newComp := func(ehr int, name, template string, at time.Time) int {
		d.Compositions = append(d.Compositions, Composition{
			UID:        uuid(r) + "::mock.pqx.local::1",
			EHR:        ehr,
			Name:       name,
			TemplateID: template,
			StartTime:  at,
		})
		return len(d.Compositions) - 1
	}
	for i := 0; i < NumEHRs; i++ {
		created := dataStart.Add(time.Duration(r.Int64N(int64(span/4/time.Second))) * time.Second).In(cet)
		d.EHRs = append(d.EHRs, EHR{
			ID:               uuid(r),
			TimeCreated:      created,
			SubjectID:        fmt.Sprintf("PQX%06d", 100000+r.IntN(900000)),
			SubjectNamespace: subjectNamespace,
		})
		// The first EHR has the minimum of 3 readings of each kind, so
		// small-series edge cases exist; the rest vary widely.
		nBP, nTemp, nPulse := 3, 3, 3
		if i > 0 {
			nBP, nTemp, nPulse = 20+r.IntN(150), 3+r.IntN(118), 3+r.IntN(118)
		}
		base := 105 + r.IntN(50) // this patient's usual systolic
		for k := 0; k < nBP; k++ {
			at := randTime(created)
			sys := base + bell(r, 20)
			dia := sys*62/100 + bell(r, 6)
			d.BloodPressure = append(d.BloodPressure, BPObservation{
				EHR: i, Composition: newComp(i, "Blood pressure", TemplateBP, at),
				Time: at, Systolic: float64(sys), Diastolic: float64(dia),
				Position: positions[r.IntN(len(positions))].code,
			})
		}
		unit := "Cel"
		if i%3 == 2 {
			unit = "°C"
		}
		for k := 0; k < nTemp; k++ {
			at := randTime(created)
			d.Temperatures = append(d.Temperatures, TempObservation{
				EHR: i, Composition: newComp(i, "Body temperature", TemplateTemp, at),
				Time: at, Temperature: float64(368+bell(r, 6)) / 10, Unit: unit,
			})
		}
		for k := 0; k < nPulse; k++ {
			at := randTime(created)
			d.Pulses = append(d.Pulses, PulseObservation{
				EHR: i, Composition: newComp(i, "Pulse", TemplatePulse, at),
				Time: at, Rate: float64(55 + r.IntN(60)),
			})
		}
	}
	// Bulk rows have strictly decreasing, unique times one minute apart, so
	// "ORDER BY time DESC" is total and a repeated first row means a server
	// ignored offset.
	bulkEnd := time.Date(2026, 6, 1, 12, 0, 0, 0, cet)
	for k := 0; k < BulkRows; k++ {
		sys := float64(95 + r.IntN(90))
		d.Bulk = append(d.Bulk, BPObservation{
			EHR:         r.IntN(NumEHRs),
			Composition: -1,
			Time:        bulkEnd.Add(-time.Duration(k) * time.Minute),
			Systolic:    sys,
			Diastolic:   float64(int(sys*0.6) + r.IntN(12)),
			Position:    positions[r.IntN(len(positions))].code,
		})
	}
	return d
}

// bell returns an integer in [-spread, spread] with a bell-shaped
// distribution (a sum of four uniform draws). Integer arithmetic keeps the
// data identical on every architecture; floating-point noise could differ
// where the compiler fuses multiply-adds.
func bell(r *rand.Rand, spread int) int {
	n := 0
	for i := 0; i < 4; i++ {
		n += r.IntN(spread/2 + 1)
	}
	return n - 2*(spread/2)
}

// positions is the openEHR blood pressure archetype's position value set.
var positions = []struct{ code, text string }{
	{"at1000", "Standing"}, {"at1001", "Sitting"}, {"at1002", "Reclining"}, {"at1003", "Lying"},
}

func positionText(code string) string {
	for _, p := range positions {
		if p.code == code {
			return p.text
		}
	}
	return code
}

// uuid returns a random (version 4) UUID drawn from r.
func uuid(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ehrIndex returns the index of the EHR with the given id, or -1.
func (d *Dataset) ehrIndex(id string) int {
	for i, e := range d.EHRs {
		if e.ID == id {
			return i
		}
	}
	return -1
}

// sortedBP returns the blood pressure readings newest first; ties (equal
// times) fall back to generation order so the order is total.
func (d *Dataset) sortedBP() []BPObservation {
	bp := append([]BPObservation(nil), d.BloodPressure...)
	sort.SliceStable(bp, func(i, j int) bool { return bp[i].Time.After(bp[j].Time) })
	return bp
}

func isoTime(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }
