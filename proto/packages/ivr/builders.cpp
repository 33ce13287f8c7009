#include "proto/packages/ivr/builders.hpp"

#include <algorithm>

#include "proto/packages/ivr/types.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::ivr {

Response makeResponse(int status, std::string dialogId, std::optional<std::string> reason) {
    Response r;
    r.status = status;
    r.dialogId = std::move(dialogId);
    r.reason = std::move(reason);
    return r;
}

Response makeErrorResponse(const common::Error& error, std::string dialogId) {
    const int status = (error.code >= 100 && error.code <= 999) ? error.code : status::kSyntaxError;
    std::optional<std::string> reason;
    if (!error.message.empty()) reason = error.message;
    return makeResponse(status, std::move(dialogId), std::move(reason));
}

std::optional<std::string> peekDialogId(std::string_view body) {
    auto root = xml::parse(body);
    if (!root) return std::nullopt;
    for (const auto& c : root->children) {
        if (c.ns != kNamespace) continue;
        if (const std::string* id = c.attr("dialogid")) return *id;
        if (const std::string* id = c.attr("prepareddialogid")) return *id;
        return std::nullopt;
    }
    return std::nullopt;
}

Event makeDialogExit(std::string dialogId, std::uint32_t exitStatus, ExitReport report,
                     std::optional<std::string> reason) {
    DialogExit exit;
    exit.status = exitStatus;
    exit.reason = std::move(reason);
    exit.promptInfo = std::move(report.prompt);
    exit.controlInfo = std::move(report.control);
    exit.collectInfo = std::move(report.collect);
    exit.recordInfo = std::move(report.record);
    exit.params = std::move(report.params);
    Event e;
    e.dialogId = std::move(dialogId);
    e.notification = std::move(exit);
    return e;
}

Event makeDtmfNotify(std::string dialogId, MatchMode mode, std::string dtmf,
                     std::chrono::system_clock::time_point when) {
    DtmfNotify n;
    n.matchMode = mode;
    n.dtmf = std::move(dtmf);
    n.timestamp = formatDateTime(when);
    Event e;
    e.dialogId = std::move(dialogId);
    e.notification = std::move(n);
    return e;
}

ControlMatch makeControlMatch(std::string dtmf, std::chrono::system_clock::time_point when) {
    ControlMatch m;
    m.dtmf = std::move(dtmf);
    m.timestamp = formatDateTime(when);
    return m;
}

PromptInfo makePromptInfo(PromptTermMode mode, std::optional<Milliseconds> duration) {
    PromptInfo p;
    p.termMode = mode;
    if (duration)
        p.duration = static_cast<std::uint64_t>(std::max<Milliseconds::rep>(0, duration->count()));
    return p;
}

CollectInfo makeCollectInfo(CollectTermMode mode, std::optional<std::string> dtmf) {
    CollectInfo c;
    c.termMode = mode;
    if (dtmf && !dtmf->empty()) c.dtmf = std::move(dtmf);
    return c;
}

RecordInfo makeRecordInfo(RecordTermMode mode, std::optional<Milliseconds> duration,
                          std::vector<MediaInfo> media) {
    RecordInfo r;
    r.termMode = mode;
    if (duration)
        r.duration = static_cast<std::uint64_t>(std::max<Milliseconds::rep>(0, duration->count()));
    r.media = std::move(media);
    return r;
}

CapabilitiesBuilder& CapabilitiesBuilder::dialogLanguage(std::string mimeType) {
    caps_.dialogLanguages.types.push_back(std::move(mimeType));
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::grammarType(std::string mimeType) {
    caps_.grammarTypes.types.push_back(std::move(mimeType));
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::recordType(std::string mimeType) {
    caps_.recordTypes.types.push_back(std::move(mimeType));
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::promptType(std::string mimeType) {
    caps_.promptTypes.types.push_back(std::move(mimeType));
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::variable(std::string type,
                                                   std::vector<std::string> formats,
                                                   std::optional<std::string> desc) {
    VariableType v;
    v.type = std::move(type);
    v.desc = std::move(desc);
    for (auto& f : formats)
        v.formats.push_back(VariableFormat{std::move(f), std::nullopt, std::nullopt, {}});
    caps_.variables.types.push_back(std::move(v));
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::rfcVariables() {
    variable("date", {"mdy", "ymd", "dym", "dm"}, "value formatted as yyyy-mm-dd");
    variable("time", {"t12", "t24"}, "value formatted as hh:mm or hh:mm:ss");
    variable("digits", {"gen", "crn", "ord"}, "value is one or more digits");
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::maxPreparedDuration(Milliseconds d) {
    caps_.maxPreparedDuration = d;
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::maxRecordDuration(Milliseconds d) {
    caps_.maxRecordDuration = d;
    return *this;
}

CapabilitiesBuilder& CapabilitiesBuilder::codec(std::string name, std::string subtype) {
    caps_.codecs.codecs.push_back(Codec{std::move(name), std::move(subtype), std::nullopt, {}});
    return *this;
}

AuditResponse makeAuditResponse(const Audit& request, const Capabilities& capabilities,
                                std::vector<DialogAudit> dialogs) {
    AuditResponse r;
    if (request.dialogId) {
        const auto it = std::find_if(dialogs.begin(), dialogs.end(), [&](const DialogAudit& d) {
            return d.dialogId == *request.dialogId;
        });
        if (it == dialogs.end()) {
            r.status = status::kDialogIdNotFound;
            r.reason = "dialogid does not exist: " + *request.dialogId;
            return r;
        }
        if (request.dialogs) r.dialogs = Dialogs{{*it}, {}};
    } else if (request.dialogs) {
        r.dialogs = Dialogs{std::move(dialogs), {}};
    }
    r.status = status::kOk;
    if (request.capabilities) r.capabilities = capabilities;
    return r;
}

}  // namespace parley::proto::ivr
