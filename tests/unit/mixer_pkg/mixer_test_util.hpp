#pragma once
// Helpers shared by the mixer package tests.

#include <string>
#include <string_view>

#include "proto/packages/mixer/mixer_codec.hpp"

namespace parley::test::mixer {

// Wraps one child in a well-formed <mscmixer> root.
inline std::string doc(std::string_view child) {
    return std::string("<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">") +
           std::string(child) + "</mscmixer>";
}

// 200 when the body parses, else the package status of the refusal.
inline int statusOf(std::string_view body,
                    proto::mixer::Leniency leniency = proto::mixer::Leniency::strict) {
    proto::mixer::ParseOptions options;
    options.leniency = leniency;
    auto r = proto::mixer::parse(body, options);
    return r ? 200 : r.error().code;
}

}  // namespace parley::test::mixer
