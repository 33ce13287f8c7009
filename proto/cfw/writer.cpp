#include "proto/cfw/writer.hpp"

namespace parley::proto::cfw {

namespace {

void header(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

void listHeader(std::string& out, std::string_view name, const std::vector<std::string>& items) {
    out.append(name);
    out.append(": ");
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out.push_back(',');
        out.append(items[i]);
    }
    out.append("\r\n");
}

}  // namespace

void appendTo(std::string& out, const Message& m, const WriteOptions& options) {
    out.append("CFW ");
    out.append(m.transId);
    out.push_back(' ');
    if (m.isRequest()) {
        out.append(m.method);
    } else {
        out.append(std::to_string(m.status));
    }
    out.append("\r\n");

    if (m.controlPackage) header(out, "Control-Package", *m.controlPackage);
    if (m.dialogId) header(out, "Dialog-ID", *m.dialogId);
    if (m.seq) header(out, "Seq", std::to_string(*m.seq));
    if (m.reportStatus) header(out, "Status", reportStatusName(*m.reportStatus));
    if (m.timeout) header(out, "Timeout", std::to_string(*m.timeout));
    if (m.keepAlive) header(out, "Keep-Alive", std::to_string(*m.keepAlive));
    if (m.packages) listHeader(out, "Packages", *m.packages);
    if (m.supported) listHeader(out, "Supported", *m.supported);
    for (const auto& ext : m.extensions) header(out, ext.name, ext.value);
    if (m.contentType) header(out, "Content-Type", *m.contentType);
    if (!m.body.empty() || m.contentType || options.zeroContentLength) {
        header(out, "Content-Length", std::to_string(m.body.size()));
    }
    out.append("\r\n");
    out.append(m.body);
}

std::string serialize(const Message& m, const WriteOptions& options) {
    std::string out;
    out.reserve(96 + m.body.size());
    appendTo(out, m, options);
    return out;
}

}  // namespace parley::proto::cfw
