#pragma once
// ConferenceDocuments: the RFC 4575 conference-info documents of one room, as values. No
// SIP, no timers, no versions (versions belong to each subscription, see
// conference_events.hpp); ConferenceEvents fans these documents out.
//
// Contracts:
// - upsert()/remove()/setRoom() change the current state only. takePartial() publishes:
//   it returns what changed since the previous takePartial() (or construction) as a
//   partial document and makes the current state the published one. published() is the
//   full document of the published state: a new subscriber gets it, so that the next
//   partial brings it up to date exactly like every older subscriber (RFC 4575 section 4.6).
//   current() is the full document of the current state (REST).
// - Partial documents carry only what changed (RFC 4575 section 4.4): a new user with state
//   full; a user whose own fields changed with state full; a user whose endpoints changed
//   with state partial and those endpoints in full (or state deleted); a user gone with
//   state deleted and no children; <conference-state> whole when any of its fields changed
//   (it has no state attribute, so a subscriber replaces it as a whole); the
//   <conference-description> whole when the room's description changed. Changes made and
//   undone between two takePartial() calls publish nothing.
// - Users: one <user> per distinct entity (the caller's From URI), each participant one
//   <endpoint> under it keyed by its Contact (made unique within the user by a
//   ";parley-leg=N" URI parameter when two participants share a Contact). Published
//   entities of a participant stay the same while its entity and endpointEntity do.
// - Anonymous participants (entity ""): RFC 4575 section 5.6 requires a unique entity in
//   the .invalid TLD, so the user is <user entity="sip:anonymousN@anonymous.invalid">, its
//   endpoint the same URI, with no display text, no call-info, nothing of the caller.
// - Mute and talk (RFC 4575 sections 5.7.3 and 5.8.5): a muted connected participant's
//   endpoint <status> is muted-via-focus and its audio <media> <status> recvonly; unmuted
//   it is connected and sendrecv (on-hold: inactive). RFC 4575 has no element for "is
//   talking" (its speaker mechanism is the RTP CSRC list against <src-id>), so a talking
//   participant's audio <media> carries <display-text>talking</display-text>, the
//   element the RFC keeps for people to read; it is absent when silent or muted.
// - <media> is written for endpoints that have media (connected, muted-via-focus,
//   on-hold): id "audio", type audio, <label> the participant's a=label when known.
// - Documents are valid against the RFC 4575 schema when the views hold URIs where URIs
//   are expected.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/packages/conference_info/conference_info.hpp"

namespace parley::as {

struct ParticipantView {
    std::string key;             // stable id within the room (the focus's participant id)
    std::string entity;          // user URI (From of the caller); "" when anonymous
    std::string displayText;     // "" when anonymous
    std::string endpointEntity;  // the endpoint URI (Contact); "" when anonymous
    proto::confinfo::EndpointStatus status = proto::confinfo::EndpointStatus::Connected;
    proto::confinfo::JoiningMethod joiningMethod = proto::confinfo::JoiningMethod::DialedIn;
    std::chrono::system_clock::time_point joinedAt{};  // epoch: unknown (no <joining-info>)
    std::vector<std::string> roles;  // "participant", "moderator"
    bool muted = false;    // media status recvonly (the participant is not heard)
    bool talking = false;  // <media><display-text>talking</display-text> (see above)
    std::string callId, fromTag, toTag;  // <call-info><sip>, omitted when anonymous
    std::string mediaLabel;  // a=label of the participant's audio at the MS, optional
    bool operator==(const ParticipantView&) const = default;
};

struct RoomView {
    std::string uri;  // the conference URI, sip:<room>@<host:port>
    std::string displayText;
    std::optional<std::uint32_t> maxUsers;
    bool locked = false;
    bool active = true;
    bool operator==(const RoomView&) const = default;
};

class ConferenceDocuments {
public:
    explicit ConferenceDocuments(RoomView room);

    // New or changed participant (keyed by ParticipantView::key).
    void upsert(const ParticipantView& participant);
    // Removes a participant; false when the key is unknown.
    bool remove(const std::string& key);
    void setRoom(const RoomView& room);

    // Full documents (state full, no version): of the current and of the published state.
    proto::confinfo::ConferenceInfo current() const;
    const proto::confinfo::ConferenceInfo& published() const { return published_; }
    // What changed since the last publication, as a partial document without version;
    // nullopt when nothing visible changed. Publishes the current state either way.
    std::optional<proto::confinfo::ConferenceInfo> takePartial();
    // True when something was recorded since the last takePartial() (it may still turn out
    // to change nothing visible).
    bool pending() const { return pending_; }
    // The last document of a conference that ended: state deleted, no children.
    proto::confinfo::ConferenceInfo deleted() const;

    const RoomView& room() const { return room_; }
    std::size_t participantCount() const { return participants_.size(); }
    const ParticipantView* find(const std::string& key) const;

    // The difference between two full documents of one conference as a partial document
    // (no version); nullopt when they are equal. Public for tests.
    static std::optional<proto::confinfo::ConferenceInfo> partialBetween(
        const proto::confinfo::ConferenceInfo& before, const proto::confinfo::ConferenceInfo& after);

private:
    struct Participant {
        ParticipantView view;
        std::uint64_t seq = 0;   // join order
        std::string userEntity;  // as published
        std::string endpointEntity;
    };

    void assignEntities(Participant& p);  // published user and endpoint entities
    proto::confinfo::Endpoint endpointOf(const Participant& p) const;

    RoomView room_;
    std::map<std::string, Participant> participants_;
    std::uint64_t nextSeq_ = 1;
    std::uint64_t nextAnonymous_ = 1;
    std::uint64_t nextLeg_ = 1;
    proto::confinfo::ConferenceInfo published_;
    bool pending_ = false;
};

// "2024-03-04T20:00:00Z" (xs:dateTime in UTC, whole seconds).
std::string utcDateTime(std::chrono::system_clock::time_point t);

}  // namespace parley::as
