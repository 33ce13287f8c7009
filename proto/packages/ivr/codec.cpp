#include "proto/packages/ivr/codec.hpp"

#include "proto/packages/ivr/parse_support.hpp"
#include "proto/packages/ivr/write_support.hpp"

namespace parley::proto::ivr {

common::Result<Document> parseDocument(std::string_view body, const ParseOptions& options) {
    auto root = xml::parse(body, options.limits);
    if (!root) return common::Error(400, root.error().message);
    detail::ParseContext ctx;
    ctx.foreign = options.foreign;
    Document doc;
    if (!detail::parseRoot(*root, ctx, doc)) {
        if (ctx.error) return *ctx.error;
        return common::Error(400, "invalid msc-ivr document");
    }
    return doc;
}

common::Result<Message> parse(std::string_view body, const ParseOptions& options) {
    auto doc = parseDocument(body, options);
    if (!doc) return doc.error();
    return std::move(doc.value().message);
}

std::string serialize(const Document& doc) {
    xml::Writer w;
    detail::writeDocument(w, doc);
    return w.finish();
}

std::string serialize(const Message& message) {
    return serialize(Document{message, std::nullopt, {}});
}

}  // namespace parley::proto::ivr
