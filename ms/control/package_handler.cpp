#include "ms/control/package_handler.hpp"

#include <cassert>

namespace parley::ms {

namespace cfw = proto::cfw;

void PackageTable::add(std::unique_ptr<PackageHandler> handler) {
    assert(handler && !find(handler->packageName()));
    handlers_.push_back(std::move(handler));
}

PackageHandler* PackageTable::find(std::string_view packageName) const {
    for (const auto& h : handlers_) {
        if (cfw::equalsIgnoreCase(h->packageName(), packageName)) return h.get();
    }
    return nullptr;
}

std::vector<std::string> PackageTable::names() const {
    std::vector<std::string> out;
    for (const auto& h : handlers_) out.emplace_back(h->packageName());
    return out;
}

std::vector<PackageHandler*> PackageTable::all() const {
    std::vector<PackageHandler*> out;
    for (const auto& h : handlers_) out.push_back(h.get());
    return out;
}

namespace {

std::string_view mediaTypeOf(std::string_view value) {
    value = value.substr(0, value.find(';'));
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return value;
}

}  // namespace

std::optional<std::string> bodyProblem(const cfw::IncomingControl& request,
                                       std::string_view contentType) {
    if (request.body.empty()) {
        return "CONTROL for " + request.package + " carries no body";
    }
    if (!cfw::equalsIgnoreCase(mediaTypeOf(request.contentType), contentType)) {
        return "Content-Type " + request.contentType + " is not " + std::string(contentType);
    }
    return std::nullopt;
}

}  // namespace parley::ms
