#pragma once
// ResourceOwner: everything one control channel created on the media server (conferences,
// joins, IVR dialogs), so that the channel's end frees all of it (RFC 6230 section 6: the
// control dialog's BYE and a dead channel release what the AS made through it).
//
// Contract:
// - Loop thread only. A resource is registered with add() together with the function that
//   frees it. remove() forgets one without freeing it (the resource ended by itself: a
//   conference destroyed by request, a dialog that exited). releaseAll() frees every
//   resource still registered, newest first, each exactly once, and leaves the owner
//   empty; release functions may call back into the owner (remove(), add() is refused).
// - Kinds are separate id spaces; (kind, id) is unique. Joins are named by both ends.
// - Audits read the ids back with list(): the channel's own resources, nothing else.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace parley::ms {

enum class ResourceKind { Conference, Join, IvrDialog, Connection };

std::string_view resourceKindName(ResourceKind kind);

struct OwnedResource {
    ResourceKind kind = ResourceKind::Conference;
    std::string id;   // conferenceid, dialogid, or a join's id1
    std::string id2;  // a join's id2; empty for the others
};

class ResourceOwner {
  public:
    using Release = std::function<void()>;

    ResourceOwner() = default;
    ResourceOwner(const ResourceOwner&) = delete;
    ResourceOwner& operator=(const ResourceOwner&) = delete;
    ~ResourceOwner();  // releases what is left

    // False (and nothing registered) when (kind, id, id2) is already held or the owner is
    // releasing everything.
    bool add(OwnedResource resource, Release release);
    // Forgets a resource without running its release function; false when unknown.
    bool remove(ResourceKind kind, const std::string& id, const std::string& id2 = {});
    bool contains(ResourceKind kind, const std::string& id, const std::string& id2 = {}) const;
    std::vector<OwnedResource> list(ResourceKind kind) const;
    std::size_t size() const { return items_.size(); }

    // Frees everything, newest first. Returns how many release functions ran.
    std::size_t releaseAll();

  private:
    struct Item {
        OwnedResource resource;
        Release release;
    };
    std::vector<Item>::iterator find(ResourceKind kind, const std::string& id,
                                     const std::string& id2);

    std::vector<Item> items_;
    bool releasing_ = false;
};

}  // namespace parley::ms
