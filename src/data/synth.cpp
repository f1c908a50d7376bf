// The song renderer behind `mer data synth`: a small additive synthesiser driven by valence and arousal.
#include "mer/data/synth.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace mer::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Note {
  double start, duration, frequency, velocity;
  int instrument;  // index into SynthInstruments()
  double brightness;  // 0..1
};

double At(const std::vector<float>& curve, double t) {
  if (curve.empty()) return 0.5;
  const double x = std::clamp(t / 0.5, 0.0, static_cast<double>(curve.size() - 1));
  const std::size_t i = static_cast<std::size_t>(x);
  const double frac = x - static_cast<double>(i);
  return i + 1 < curve.size() ? curve[i] * (1 - frac) + curve[i + 1] * frac : curve[i];
}

double Midi(double note) { return 440.0 * std::pow(2.0, (note - 69.0) / 12.0); }

enum Instrument { kPiano, kStrings, kBass, kDrums, kDistortedGuitar, kVoice };

// Renders one note additively into out.
void RenderNote(const Note& n, int sample_rate, std::mt19937_64& rng, std::vector<float>* out) {
  const std::size_t begin = static_cast<std::size_t>(n.start * sample_rate);
  const std::size_t length = static_cast<std::size_t>(n.duration * sample_rate);
  if (begin >= out->size()) return;
  const std::size_t end = std::min(out->size(), begin + length);
  float* y = out->data();
  const double sr = sample_rate;
  switch (n.instrument) {
    case kDrums: {
      // frequency encodes the drum: < 100 kick, < 1000 snare, else hi-hat.
      std::normal_distribution<double> noise(0.0, 1.0);
      for (std::size_t i = begin; i < end; ++i) {
        const double t = (i - begin) / sr;
        double s;
        if (n.frequency < 100) {
          s = std::sin(2 * kPi * (45 * t + 60 * (1 - std::exp(-35 * t)) / 35)) * std::exp(-9 * t);
        } else if (n.frequency < 1000) {
          s = (0.6 * noise(rng) + 0.4 * std::sin(2 * kPi * 190 * t)) * std::exp(-22 * t);
        } else {
          s = 0.5 * noise(rng) * std::exp(-70 * t);
        }
        y[i] += static_cast<float>(n.velocity * s);
      }
      return;
    }
    default:
      break;
  }
  // The envelope is shared by all harmonics; each harmonic is a rotating phasor (no sin() per sample).
  std::vector<float> envelope(end - begin);
  for (std::size_t i = 0; i < envelope.size(); ++i) {
    const double t = i / sr;
    double e;
    switch (n.instrument) {
      case kPiano: e = std::exp(-3.0 * t); break;
      case kStrings: e = std::min(1.0, t / 0.25) * std::min(1.0, (n.duration - t) / 0.2) * (1 + 0.08 * std::sin(2 * kPi * 5.5 * t)); break;
      case kBass: e = std::exp(-2.5 * t); break;
      case kVoice: e = std::min(1.0, t / 0.05) * std::min(1.0, (n.duration - t) / 0.08) * (1 + 0.1 * std::sin(2 * kPi * 5 * t)); break;
      default: e = std::min(1.0, t / 0.01) * std::exp(-1.2 * t); break;  // guitar
    }
    envelope[i] = static_cast<float>(std::max(0.0, e) * n.velocity);
  }
  const double nyquist = sr / 2;
  const int harmonics = n.instrument == kBass ? 3 : 2 + static_cast<int>(10 * n.brightness);
  const double rolloff = 2.2 - 1.4 * n.brightness;
  for (int k = 1; k <= harmonics; ++k) {
    const double f = n.frequency * k;
    if (f >= nyquist * 0.9) break;
    double amplitude = 1.0 / std::pow(k, rolloff);
    if (n.instrument == kVoice) {  // vowel "a": formants near 730 and 1090 Hz
      amplitude *= 0.3 + std::exp(-std::pow((f - 730) / 180, 2)) + 0.7 * std::exp(-std::pow((f - 1090) / 200, 2));
    }
    const double w = 2 * kPi * f / sr;
    const double c = std::cos(w), s = std::sin(w);
    // Upper piano partials die faster.
    const double decay = n.instrument == kPiano ? std::exp(-0.9 * (k - 1) / sr) : 1.0;
    double re = 1.0, im = 0.0, gain = amplitude;
    for (std::size_t i = begin; i < end; ++i) {
      y[i] += static_cast<float>(gain * im) * envelope[i - begin];
      const double next_re = re * c - im * s;
      im = re * s + im * c;
      re = next_re;
      gain *= decay;
    }
  }
}

}  // namespace

const std::vector<std::string>& SynthInstruments() {
  static const std::vector<std::string> names = {"piano", "strings", "bass", "drums", "distorted_guitar", "voice"};
  return names;
}

std::vector<float> RenderSong(const SongParams& p, double seconds, int sample_rate) {
  std::vector<float> out(static_cast<std::size_t>(seconds * sample_rate), 0.0f);
  std::vector<float> guitar(p.instruments.empty() ? 0 : out.size(), 0.0f);
  std::mt19937_64 rng(p.seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const auto has = [&](const char* name) {
    return std::find(p.instruments.begin(), p.instruments.end(), name) != p.instruments.end();
  };
  const bool piano = has("piano"), strings = has("strings"), bass = has("bass"), drums = has("drums"),
             distorted = has("distorted_guitar"), voice = has("voice");
  const bool any_melodic = piano || strings || distorted || voice;
  // A I-vi-IV-V style walk around a key. Valence sets the register (brighter, higher keys for positive songs, as
  // pitch height goes with valence in listening studies), the share of major bars and the dissonance.
  const double key_offset = std::round(2 * uniform(rng)) - 1;  // +-1 semitone of variety
  const int degrees[8] = {0, 9, 5, 7, 0, 4, 5, 7};
  std::vector<Note> notes;
  double t = 0.0;
  int bar = 0;
  while (t < seconds) {
    const double v = At(p.valence, t), a = At(p.arousal, t);
    const double bpm = 70.0 + 110.0 * a;
    const double beat = 60.0 / bpm, bar_length = 4 * beat;
    // Bars are major in proportion to valence (golden-ratio sequence: evenly spread, no randomness).
    const bool major = std::fmod(0.618034 * (bar + 1), 1.0) < v;
    const double key = 48 + std::round(18 * v) + key_offset;  // C3 .. F#4
    const double root = key + degrees[bar % 8];
    std::vector<double> chord = {root, root + (major ? 4 : 3), root + 7};
    if (uniform(rng) < 1.2 * (0.75 - v)) chord.push_back(root + (uniform(rng) < 0.5 ? 1 : 6));  // dissonance
    const double loud = std::pow(10.0, (-22.0 + 20.0 * a) / 20.0);
    const int per_beat = 1 + static_cast<int>(std::lround(3 * a));
    const double brightness = a;
    if (strings || (!any_melodic && !bass)) {
      for (double n : chord) notes.push_back({t, bar_length, Midi(n), 0.35 * loud, kStrings, brightness});
    }
    if (piano || (!any_melodic && bass)) {  // arpeggio: density follows arousal
      for (int b = 0; b < 4 * per_beat; ++b) {
        const double n = chord[static_cast<std::size_t>(b) % chord.size()] + 12 * ((b / chord.size()) % 2);
        notes.push_back({t + b * beat / per_beat, 1.2 * beat, Midi(n), 0.5 * loud, kPiano, brightness});
      }
    }
    if (distorted) {
      for (int b = 0; b < 4 * per_beat; ++b) {
        for (double n : {chord[0], chord[2]}) {
          notes.push_back({t + b * beat / per_beat, beat / per_beat, Midi(n - 12), 0.5 * loud, kDistortedGuitar, 1.0});
        }
      }
    }
    if (voice) {
      for (int b = 0; b < 4; b += 2) {
        const double n = chord[static_cast<std::size_t>(uniform(rng) * 3)] + 12;
        notes.push_back({t + b * beat, 1.8 * beat, Midi(n), 0.45 * loud, kVoice, 0.5});
      }
    }
    if (bass) {
      for (int b = 0; b < 4; ++b) notes.push_back({t + b * beat, 0.9 * beat, Midi(root - 24), 0.8 * loud, kBass, 0.2});
    }
    if (drums) {
      const int hats = a > 0.6 ? 4 : a > 0.3 ? 2 : 1;
      for (int b = 0; b < 4; ++b) {
        notes.push_back({t + b * beat, 0.4, 60, 0.9 * loud, kDrums, 0});
        if (b % 2 == 1) notes.push_back({t + b * beat, 0.25, 200, 0.6 * loud * (0.4 + a), kDrums, 0});
        for (int h = 0; h < hats; ++h) notes.push_back({t + (b + double(h) / hats) * beat, 0.08, 5000, 0.25 * loud * a, kDrums, 0});
      }
    }
    t += bar_length;
    ++bar;
  }
  for (const Note& n : notes) RenderNote(n, sample_rate, rng, n.instrument == kDistortedGuitar ? &guitar : &out);
  for (std::size_t i = 0; i < guitar.size(); ++i) out[i] += static_cast<float>(0.25 * std::tanh(4.0 * guitar[i]));
  // Keep peaks below full scale without changing the loudness ordering between songs.
  float peak = 0.0f;
  for (float x : out) peak = std::max(peak, std::abs(x));
  if (peak > 0.98f) {
    for (float& x : out) x = static_cast<float>(0.98 * std::tanh(x / 0.98));
  }
  return out;
}

}  // namespace mer::data
