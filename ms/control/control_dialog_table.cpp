#include "ms/control/control_dialog_table.hpp"

#include "common/log.hpp"

namespace parley::ms {

using common::Error;

namespace {
Poco::Logger& log() {
    return common::logger("ms.control");
}
}  // namespace

common::Status ControlDialogTable::add(ControlDialogInfo info, HangUp hangUp) {
    if (info.asCfwId.empty() || info.msCfwId.empty()) return Error(488, "empty cfw-id");
    if (cfwIdInUse(info.asCfwId)) {
        return Error(488, "cfw-id " + info.asCfwId + " is already used by a live control dialog");
    }
    if (cfwIdInUse(info.msCfwId)) return Error(488, "cfw-id collision, retry");
    info.channel = 0;
    info.ending = false;
    std::string key = info.asCfwId;
    dialogs_.emplace(std::move(key), Entry{std::move(info), std::move(hangUp)});
    return {};
}

bool ControlDialogTable::cfwIdInUse(std::string_view cfwId) const {
    if (dialogs_.find(cfwId) != dialogs_.end()) return true;
    for (const auto& [key, e] : dialogs_) {
        if (e.info.msCfwId == cfwId) return true;
    }
    return false;
}

ControlDialogTable::Entry* ControlDialogTable::lookup(std::string_view dialogId) {
    auto it = dialogs_.find(dialogId);
    if (it != dialogs_.end()) return &it->second;
    for (auto& [key, e] : dialogs_) {
        if (e.info.msCfwId == dialogId) return &e;
    }
    return nullptr;
}

void ControlDialogTable::markAcked(const std::string& asCfwId) {
    auto it = dialogs_.find(asCfwId);
    if (it != dialogs_.end()) it->second.info.acked = true;
}

common::Result<std::string> ControlDialogTable::bind(std::string_view dialogId, ChannelId channel) {
    Entry* e = lookup(dialogId);
    if (!e) return Error(481, "no control dialog with cfw-id " + std::string(dialogId));
    if (e->info.ending) return Error(481, "control dialog " + e->info.asCfwId + " is ending");
    if (e->info.channel != 0 && e->info.channel != channel) {
        return Error(481, "control dialog " + e->info.asCfwId + " is bound to another connection");
    }
    e->info.channel = channel;
    return e->info.asCfwId;
}

void ControlDialogTable::unbind(const std::string& key, ChannelId channel) {
    auto it = dialogs_.find(key);
    if (it != dialogs_.end() && it->second.info.channel == channel) it->second.info.channel = 0;
}

void ControlDialogTable::hangUp(const std::string& key, const std::string& why) {
    auto it = dialogs_.find(key);
    if (it == dialogs_.end() || it->second.info.ending) return;
    it->second.info.ending = true;
    PARLEY_LOG_INFO(log(), "control dialog " << key << " ending: " << why);
    // Moved out first: the function may remove() the entry before it returns.
    HangUp fn = std::move(it->second.hangUp);
    if (fn) fn();
}

void ControlDialogTable::hangUpAll(const std::string& why) {
    std::vector<std::string> keys;
    for (const auto& [key, e] : dialogs_) keys.push_back(key);
    for (const auto& key : keys) hangUp(key, why);
}

void ControlDialogTable::remove(const std::string& key, const std::string& why) {
    auto it = dialogs_.find(key);
    if (it == dialogs_.end()) return;
    ChannelId channel = it->second.info.channel;
    dialogs_.erase(it);
    if (channel != 0 && onGone_) onGone_(channel, why);
}

const ControlDialogInfo* ControlDialogTable::find(std::string_view key) const {
    auto it = dialogs_.find(key);
    return it == dialogs_.end() ? nullptr : &it->second.info;
}

std::vector<ControlDialogInfo> ControlDialogTable::list() const {
    std::vector<ControlDialogInfo> out;
    for (const auto& [key, e] : dialogs_) out.push_back(e.info);
    return out;
}

std::size_t ControlDialogTable::boundCount() const {
    std::size_t n = 0;
    for (const auto& [key, e] : dialogs_) n += e.info.channel != 0;
    return n;
}

}  // namespace parley::ms
