#include "ms/control/resource_owner.hpp"

#include <algorithm>

namespace parley::ms {

std::string_view resourceKindName(ResourceKind kind) {
    switch (kind) {
        case ResourceKind::Conference:
            return "conference";
        case ResourceKind::Join:
            return "join";
        case ResourceKind::IvrDialog:
            return "ivr-dialog";
        case ResourceKind::Connection:
            return "connection";
    }
    return "unknown";
}

ResourceOwner::~ResourceOwner() {
    releaseAll();
}

std::vector<ResourceOwner::Item>::iterator ResourceOwner::find(ResourceKind kind,
                                                               const std::string& id,
                                                               const std::string& id2) {
    return std::find_if(items_.begin(), items_.end(), [&](const Item& i) {
        return i.resource.kind == kind && i.resource.id == id && i.resource.id2 == id2;
    });
}

bool ResourceOwner::add(OwnedResource resource, Release release) {
    if (releasing_) return false;
    if (find(resource.kind, resource.id, resource.id2) != items_.end()) return false;
    items_.push_back(Item{std::move(resource), std::move(release)});
    return true;
}

bool ResourceOwner::remove(ResourceKind kind, const std::string& id, const std::string& id2) {
    auto it = find(kind, id, id2);
    if (it == items_.end()) return false;
    items_.erase(it);
    return true;
}

bool ResourceOwner::contains(ResourceKind kind, const std::string& id,
                             const std::string& id2) const {
    return std::any_of(items_.begin(), items_.end(), [&](const Item& i) {
        return i.resource.kind == kind && i.resource.id == id && i.resource.id2 == id2;
    });
}

std::vector<OwnedResource> ResourceOwner::list(ResourceKind kind) const {
    std::vector<OwnedResource> out;
    for (const auto& i : items_) {
        if (i.resource.kind == kind) out.push_back(i.resource);
    }
    return out;
}

std::size_t ResourceOwner::releaseAll() {
    if (releasing_) return 0;
    releasing_ = true;
    std::size_t n = 0;
    while (!items_.empty()) {
        Item item = std::move(items_.back());
        items_.pop_back();
        if (item.release) item.release();
        ++n;
    }
    releasing_ = false;
    return n;
}

}  // namespace parley::ms
