#include "proto/packages/ivr/messages.hpp"

namespace parley::proto::ivr {

namespace {

struct DialogIdOf {
    std::string operator()(const DialogPrepare& m) const { return m.dialogId.value_or(""); }
    std::string operator()(const DialogStart& m) const {
        return m.dialogId ? *m.dialogId : m.preparedDialogId.value_or("");
    }
    std::string operator()(const DialogTerminate& m) const { return m.dialogId; }
    std::string operator()(const Audit& m) const { return m.dialogId.value_or(""); }
    std::string operator()(const Response& m) const { return m.dialogId; }
    std::string operator()(const AuditResponse&) const { return {}; }
    std::string operator()(const Event& m) const { return m.dialogId; }
};

struct NameOf {
    std::string_view operator()(const DialogPrepare&) const { return "dialogprepare"; }
    std::string_view operator()(const DialogStart&) const { return "dialogstart"; }
    std::string_view operator()(const DialogTerminate&) const { return "dialogterminate"; }
    std::string_view operator()(const Audit&) const { return "audit"; }
    std::string_view operator()(const Response&) const { return "response"; }
    std::string_view operator()(const AuditResponse&) const { return "auditresponse"; }
    std::string_view operator()(const Event&) const { return "event"; }
};

}  // namespace

std::string dialogIdOf(const Message& m) {
    return std::visit(DialogIdOf{}, m);
}

bool isRequest(const Message& m) {
    return std::holds_alternative<DialogPrepare>(m) || std::holds_alternative<DialogStart>(m) ||
           std::holds_alternative<DialogTerminate>(m) || std::holds_alternative<Audit>(m);
}

std::string_view elementName(const Message& m) {
    return std::visit(NameOf{}, m);
}

}  // namespace parley::proto::ivr
