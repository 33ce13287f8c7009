#pragma once
// A conference package subscriber as RFC 4575 section 4.6 describes it, on values: it
// keeps a local version and a local copy of the document, and merges partial documents by
// element keys (user and endpoint entity). Tests feed it what ConferenceEvents sends and
// check that what it builds is the focus's state.

#include <cstdint>
#include <string>

#include "proto/packages/conference_info/conference_info.hpp"

namespace parley::test::events {

class CoherentView {
public:
    // Applies one received document. Returns "" when it was applied, else why not:
    // "no version", "stale" (version not above the local one, discarded as the RFC says),
    // "partial before full", "gap" (the subscriber would refresh).
    std::string apply(const proto::confinfo::ConferenceInfo& doc);

    bool started() const { return started_; }
    bool ended() const { return ended_; }  // a state="deleted" document arrived
    std::uint32_t version() const { return version_; }
    // The local document, every state attribute full, no version.
    const proto::confinfo::ConferenceInfo& state() const { return state_; }

private:
    proto::confinfo::ConferenceInfo state_;
    std::uint32_t version_ = 0;
    bool started_ = false;
    bool ended_ = false;
};

// The document with users and their endpoints sorted by entity, states full, no version:
// two documents that describe the same conference compare equal after it.
proto::confinfo::ConferenceInfo canonical(proto::confinfo::ConferenceInfo doc);

}  // namespace parley::test::events
