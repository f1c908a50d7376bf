// Tag vocabularies of CAL500 (vocab.txt, 174 names in file order) and CAL500exp (the 67 tag columns of
// SegLabelHard/*.csv, in column order), used to write synthetic corpora in the real layouts.
#include "cal500_vocabulary.h"

namespace mer::data {

const std::vector<std::string>& Cal500Vocabulary() {
  static const std::vector<std::string> names = {
    "Emotion-Angry_/_Agressive", "NOT-Emotion-Angry_/_Agressive", "Emotion-Arousing_/_Awakening",
    "NOT-Emotion-Arousing_/_Awakening", "Emotion-Bizarre_/_Weird", "NOT-Emotion-Bizarre_/_Weird",
    "Emotion-Calming_/_Soothing", "NOT-Emotion-Calming_/_Soothing", "Emotion-Carefree_/_Lighthearted",
    "NOT-Emotion-Carefree_/_Lighthearted", "Emotion-Cheerful_/_Festive", "NOT-Emotion-Cheerful_/_Festive",
    "Emotion-Emotional_/_Passionate", "NOT-Emotion-Emotional_/_Passionate", "Emotion-Exciting_/_Thrilling",
    "NOT-Emotion-Exciting_/_Thrilling", "Emotion-Happy", "NOT-Emotion-Happy", "Emotion-Laid-back_/_Mellow",
    "NOT-Emotion-Laid-back_/_Mellow", "Emotion-Light_/_Playful", "NOT-Emotion-Light_/_Playful",
    "Emotion-Loving_/_Romantic", "NOT-Emotion-Loving_/_Romantic", "Emotion-Pleasant_/_Comfortable",
    "NOT-Emotion-Pleasant_/_Comfortable", "Emotion-Positive_/_Optimistic", "NOT-Emotion-Positive_/_Optimistic",
    "Emotion-Powerful_/_Strong", "NOT-Emotion-Powerful_/_Strong", "Emotion-Sad", "NOT-Emotion-Sad",
    "Emotion-Tender_/_Soft", "NOT-Emotion-Tender_/_Soft", "Emotion-Touching_/_Loving",
    "NOT-Emotion-Touching_/_Loving", "Genre--_Alternative", "Genre--_Alternative_Folk", "Genre--_Bebop",
    "Genre--_Brit_Pop", "Genre--_Classic_Rock", "Genre--_Contemporary_Blues", "Genre--_Contemporary_R&B",
    "Genre--_Cool_Jazz", "Genre--_Country_Blues", "Genre--_Dance_Pop", "Genre--_Electric_Blues", "Genre--_Funk",
    "Genre--_Gospel", "Genre--_Metal/Hard_Rock", "Genre--_Punk", "Genre--_Roots_Rock",
    "Genre--_Singer_/_Songwriter", "Genre--_Soft_Rock", "Genre--_Soul", "Genre--_Swing", "Genre-Bluegrass",
    "Genre-Blues", "Genre-Country", "Genre-Electronica", "Genre-Folk", "Genre-Hip_Hop/Rap", "Genre-Jazz",
    "Genre-Pop", "Genre-R&B", "Genre-Rock", "Genre-World", "Instrument_-_Acoustic_Guitar",
    "Instrument_-_Ambient_Sounds", "Instrument_-_Backing_vocals", "Instrument_-_Bass", "Instrument_-_Drum_Machine",
    "Instrument_-_Drum_Set", "Instrument_-_Electric_Guitar_(clean)", "Instrument_-_Electric_Guitar_(distorted)",
    "Instrument_-_Female_Lead_Vocals", "Instrument_-_Hand_Drums", "Instrument_-_Harmonica",
    "Instrument_-_Horn_Section", "Instrument_-_Male_Lead_Vocals", "Instrument_-_Organ", "Instrument_-_Piano",
    "Instrument_-_Samples", "Instrument_-_Saxophone", "Instrument_-_Sequencer", "Instrument_-_String_Ensemble",
    "Instrument_-_Synthesizer", "Instrument_-_Tambourine", "Instrument_-_Trombone", "Instrument_-_Trumpet",
    "Instrument_-_Violin/Fiddle", "Song-Catchy/Memorable", "NOT-Song-Catchy/Memorable",
    "Song-Changing_Energy_Level", "NOT-Song-Changing_Energy_Level", "Song-Fast_Tempo", "NOT-Song-Fast_Tempo",
    "Song-Heavy_Beat", "NOT-Song-Heavy_Beat", "Song-High_Energy", "NOT-Song-High_Energy", "Song-Like",
    "NOT-Song-Like", "Song-Positive_Feelings", "NOT-Song-Positive_Feelings", "Song-Quality", "NOT-Song-Quality",
    "Song-Recommend", "NOT-Song-Recommend", "Song-Recorded", "NOT-Song-Recorded", "Song-Texture_Acoustic",
    "Song-Texture_Electric", "Song-Texture_Synthesized", "Song-Tonality", "NOT-Song-Tonality",
    "Song-Very_Danceable", "NOT-Song-Very_Danceable", "Usage-At_a_party", "Usage-At_work",
    "Usage-Cleaning_the_house", "Usage-Driving", "Usage-Exercising", "Usage-Getting_ready_to_go_out",
    "Usage-Going_to_sleep", "Usage-Hanging_with_friends", "Usage-Intensely_Listening", "Usage-Reading",
    "Usage-Romancing", "Usage-Sleeping", "Usage-Studying", "Usage-Waking_up", "Usage-With_the_family",
    "Vocals-Aggressive", "Vocals-Altered_with_Effects", "Vocals-Breathy", "Vocals-Call_&_Response", "Vocals-Duet",
    "Vocals-Emotional", "Vocals-Falsetto", "Vocals-Gravelly", "Vocals-High-pitched", "Vocals-Low-pitched",
    "Vocals-Monotone", "Vocals-Rapping", "Vocals-Screaming", "Vocals-Spoken", "Vocals-Strong",
    "Vocals-Vocal_Harmonies", "Genre-Best--_Alternative", "Genre-Best--_Classic_Rock",
    "Genre-Best--_Metal/Hard_Rock", "Genre-Best--_Punk", "Genre-Best--_Soft_Rock", "Genre-Best--_Soul",
    "Genre-Best-Blues", "Genre-Best-Country", "Genre-Best-Electronica", "Genre-Best-Folk",
    "Genre-Best-Hip_Hop/Rap", "Genre-Best-Jazz", "Genre-Best-Pop", "Genre-Best-R&B", "Genre-Best-Rock",
    "Genre-Best-World", "Instrument_-_Acoustic_Guitar-Solo", "Instrument_-_Electric_Guitar_(clean)-Solo",
    "Instrument_-_Electric_Guitar_(distorted)-Solo", "Instrument_-_Female_Lead_Vocals-Solo",
    "Instrument_-_Harmonica-Solo", "Instrument_-_Male_Lead_Vocals-Solo", "Instrument_-_Piano-Solo",
    "Instrument_-_Saxophone-Solo", "Instrument_-_Trumpet-Solo",
  };
  return names;
}

const std::vector<std::string>& Cal500ExpTags() {
  static const std::vector<std::string> names = {
    "Emotion-Angry_/_Agressive", "Emotion-Arousing_/_Awakening", "Emotion-Bizarre_/_Weird",
    "Emotion-Calming_/_Soothing", "Emotion-Carefree_/_Lighthearted", "Emotion-Cheerful_/_Festive",
    "Emotion-Emotional_/_Passionate", "Emotion-Exciting_/_Thrilling", "Emotion-Happy",
    "Emotion-Laid-back_/_Mellow", "Emotion-Light_/_Playful", "Emotion-Loving_/_Romantic",
    "Emotion-Pleasant_/_Comfortable", "Emotion-Positive_/_Optimistic", "Emotion-Powerful_/_Strong", "Emotion-Sad",
    "Emotion-Tender_/_Soft", "Emotion-Touching_/_Loving", "Instrument_-_Acoustic_Guitar",
    "Instrument_-_Ambient_Sounds", "Instrument_-_Backing_vocals", "Instrument_-_Bass", "Instrument_-_Drum_Machine",
    "Instrument_-_Drum_Set", "Instrument_-_Electric_Guitar_(clean)", "Instrument_-_Electric_Guitar_(distorted)",
    "Instrument_-_Female_Lead_Vocals", "Instrument_-_Hand_Drums", "Instrument_-_Harmonica",
    "Instrument_-_Horn_Section", "Instrument_-_Male_Lead_Vocals", "Instrument_-_Organ", "Instrument_-_Piano",
    "Instrument_-_Samples", "Instrument_-_Saxophone", "Instrument_-_Sequencer", "Instrument_-_String_Ensemble",
    "Instrument_-_Synthesizer", "Instrument_-_Tambourine", "Instrument_-_Trombone", "Instrument_-_Trumpet",
    "Instrument_-_Violin/Fiddle", "Vocals-Aggressive", "Vocals-Altered_with_Effects", "Vocals-Breathy",
    "Vocals-Call_&_Response", "Vocals-Duet", "Vocals-Emotional", "Vocals-Falsetto", "Vocals-Gravelly",
    "Vocals-High-pitched", "Vocals-Low-pitched", "Vocals-Monotone", "Vocals-Rapping", "Vocals-Screaming",
    "Vocals-Spoken", "Vocals-Strong", "Vocals-Vocal_Harmonies", "Instrument_-_Acoustic_Guitar-Solo",
    "Instrument_-_Electric_Guitar_(clean)-Solo", "Instrument_-_Electric_Guitar_(distorted)-Solo",
    "Instrument_-_Female_Lead_Vocals-Solo", "Instrument_-_Harmonica-Solo", "Instrument_-_Male_Lead_Vocals-Solo",
    "Instrument_-_Piano-Solo", "Instrument_-_Saxophone-Solo", "Instrument_-_Trumpet-Solo",
  };
  return names;
}

}  // namespace mer::data
