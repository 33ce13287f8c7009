#include <catch2/catch.hpp>

#include "proto/xml/schema_set.hpp"
#include "proto/xml/xml.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::proto::xml;

TEST_CASE("xml: parses namespaces, attributes, text and children in order") {
    auto r = parse(R"(<?xml version="1.0"?>
<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr" xmlns:fw="urn:fw">
  <dialogstart fw:x="1" connectionid="a:b"><dialog><prompt><media loc="file:///a.wav"/></prompt></dialog></dialogstart>
  <note>a &amp; b</note>
</mscivr>)");
    REQUIRE(r.ok());
    const Element& root = r.value();
    CHECK(root.ns == "urn:ietf:params:xml:ns:msc-ivr");
    CHECK(root.local == "mscivr");
    REQUIRE(root.attr("version"));
    CHECK(*root.attr("version") == "1.0");
    CHECK(root.attributes.size() == 1);  // xmlns declarations are not attributes
    REQUIRE(root.children.size() == 2);
    const Element* ds = root.child("urn:ietf:params:xml:ns:msc-ivr", "dialogstart");
    REQUIRE(ds);
    CHECK(*ds->attr("connectionid") == "a:b");
    REQUIRE(ds->attrNs("urn:fw", "x"));
    CHECK(ds->attr("x") == nullptr);
    CHECK(root.children[1].text == "a & b");
    CHECK(ds->children[0].children[0].children[0].local == "media");
}

TEST_CASE("xml: mixed content records where each child stood in the text") {
    auto r = parse("<item>1 <a/>2<b>x</b> 3<c/></item>");
    REQUIRE(r.ok());
    const Element& item = r.value();
    CHECK(item.text == "1 2 3");
    REQUIRE(item.children.size() == 3);
    REQUIRE(item.childTextAt.size() == 3);
    CHECK(item.childTextAt[0] == 2);  // after "1 "
    CHECK(item.childTextAt[1] == 3);  // after "1 2"
    CHECK(item.childTextAt[2] == 5);  // after "1 2 3"
    CHECK(item.children[1].text == "x");
    CHECK(item.children[1].childTextAt.empty());
}

TEST_CASE("xml: DOCTYPE, entities and external references are refused") {
    auto billion = parse(R"(<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>)");
    REQUIRE_FALSE(billion.ok());
    CHECK(billion.error().code == 400);
    CHECK(billion.error().message.find("DOCTYPE") != std::string::npos);

    auto external = parse(R"(<!DOCTYPE a SYSTEM "http://example.com/evil.dtd"><a/>)");
    REQUIRE_FALSE(external.ok());

    auto undeclared = parse("<a>&nope;</a>");
    REQUIRE_FALSE(undeclared.ok());
    CHECK(undeclared.error().code == 400);
}

TEST_CASE("xml: limits on size, depth, elements and attributes") {
    Limits lim;
    lim.maxBytes = 1000;
    CHECK_FALSE(parse(std::string(2000, ' '), lim).ok());

    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "<a>";
    for (int i = 0; i < 40; ++i) deep += "</a>";
    auto d = parse(deep);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().message.find("deeper") != std::string::npos);

    std::string many = "<r>";
    for (int i = 0; i < 25000; ++i) many += "<x/>";
    many += "</r>";
    CHECK_FALSE(parse(many).ok());

    std::string attrs = "<r";
    for (int i = 0; i < 100; ++i) attrs += " a" + std::to_string(i) + "=\"1\"";
    attrs += "/>";
    CHECK_FALSE(parse(attrs).ok());
}

TEST_CASE("xml: malformed documents give 400 with a position") {
    for (const char* bad : {"", "<a>", "<a></b>", "not xml", "<a x='1' x='2'/>", "<a/><b/>",
                            "\xff\xfe\x00<", "<a xmlns:p='u'><q:b/></a>"}) {
        auto r = parse(bad);
        CAPTURE(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 400);
        CHECK_FALSE(r.error().message.empty());
    }
}

TEST_CASE("xml: non-ASCII text survives a round trip") {
    Writer w;
    w.open("r").attr("name", "caf\xc3\xa9 \"q\" <&>").text("\xe2\x82\xac 1 < 2").close();
    std::string doc = w.finish();
    auto r = parse(doc);
    REQUIRE(r.ok());
    CHECK(*r.value().attr("name") == "caf\xc3\xa9 \"q\" <&>");
    CHECK(r.value().text == "\xe2\x82\xac 1 < 2");
}

TEST_CASE("xml: writer indents like the RFC examples") {
    Writer w;
    w.open("mscmixer").attr("version", "1.0").attr("xmlns", "urn:ietf:params:xml:ns:msc-mixer");
    w.leaf("response", {{"status", "200"}, {"conferenceid", "6146dd5"}});
    std::string doc = w.finish();
    CHECK(doc ==
          "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">\n"
          "  <response status=\"200\" conferenceid=\"6146dd5\"/>\n"
          "</mscmixer>");
    Writer compact(false);
    compact.open("a").open("b").text("x").close().leaf("c").close();
    CHECK(compact.finish() == "<a><b>x</b><c/></a>");
}

TEST_CASE("xml: schema oracle validates and rejects (needs ../shared/spec)") {
    auto dir = parley::test::specDir();
    if (!dir) PARLEY_SKIP("../shared/spec is absent");
    auto set = SchemaSet::load({*dir / "xsd" / "framework.xsd", *dir / "xsd" / "mscmixer.xsd"});
    REQUIRE(set.ok());
    CHECK(set->validate(R"(<mscmixer version="1.0" xmlns="urn:ietf:params:xml:ns:msc-mixer"><response status="200"/></mscmixer>)").ok());
    auto bad = set->validate(R"(<mscmixer version="1.0" xmlns="urn:ietf:params:xml:ns:msc-mixer"><response code="200"/></mscmixer>)");
    REQUIRE_FALSE(bad.ok());
    CHECK_FALSE(bad.error().message.empty());

    auto ivr = SchemaSet::load({*dir / "xsd" / "framework.xsd", *dir / "xsd" / "mscivr.xsd"});
    REQUIRE(ivr.ok());
    CHECK(ivr->validate(R"(<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"><dialogterminate dialogid="d1"/></mscivr>)").ok());
}
