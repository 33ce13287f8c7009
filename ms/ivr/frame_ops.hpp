#pragma once
// Small operations on AudioFrames that the IVR needs on the media worker: adding a prompt
// to what a connection already hears, and copying a frame. No allocation.

#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr {

// dst += src, sample by sample, saturating at the int16 limits. A silent src leaves dst
// alone; a silent dst takes src as it is. Counts must match (the shorter one wins).
void addInto(media::AudioFrame& dst, const media::AudioFrame& src);

}  // namespace parley::ms::ivr
