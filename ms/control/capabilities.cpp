#include "ms/control/capabilities.hpp"

#include "proto/packages/ivr/builders.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::ms {

proto::mixer::Capabilities mixerCapabilities() {
    return proto::mixer::CapabilitiesBuilder()
        .audio("PCMU")
        .audio("PCMA")
        .audio("telephone-event")
        .build();
}

proto::ivr::Capabilities ivrCapabilities() {
    proto::ivr::CapabilitiesBuilder b;
    b.promptType("audio/wav")
        .promptType("audio/x-wav")
        .recordType("audio/wav")
        .recordType("audio/x-wav")
        .rfcVariables()
        .maxPreparedDuration(kMaxPreparedDuration)
        .maxRecordDuration(kMaxRecordDuration)
        .codec("audio", "PCMU")
        .codec("audio", "PCMA")
        .codec("audio", "telephone-event");
    return b.build();
}

}  // namespace parley::ms
