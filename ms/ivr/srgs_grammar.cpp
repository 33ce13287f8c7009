#include "ms/ivr/srgs_grammar.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

namespace parley::ms::ivr {
namespace {

using common::Error;
using proto::xml::Element;

constexpr int kUnsupported = 424;
constexpr int kMalformed = 400;

Error unsupported(std::string why) {
    return Error(kUnsupported, "SRGS grammar: " + std::move(why));
}
Error malformed(const Element& at, std::string why) {
    std::string m = "SRGS grammar";
    if (at.line > 0) m += " (line " + std::to_string(at.line) + ")";
    return Error(kMalformed, m + ": " + std::move(why));
}

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), isSpace);
}
std::string_view trim(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

// Parses a decimal count; nullopt when empty, not all digits, or huge.
std::optional<std::uint64_t> parseCount(std::string_view s) {
    if (s.empty() || s.size() > 12) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// ------------------------------------------------------------------ parse tree

struct Node {
    enum class Kind { Sequence, OneOf, Keys, RuleRef, Null, Void, Garbage };
    Kind kind = Kind::Sequence;
    std::vector<Node> children;      // Sequence, OneOf
    std::vector<std::uint8_t> keys;  // Keys
    std::string ref;                 // RuleRef: rule id as written
    std::size_t rule = 0;            // RuleRef: index once resolved
    std::uint32_t minRepeat = 1;
    std::uint32_t maxRepeat = 1;
    bool unbounded = false;
};

struct Rule {
    std::string id;
    bool isPublic = false;
    Node body;
    const Element* element = nullptr;
};

bool ignoredElement(const Element& e) {
    if (e.ns != SrgsGrammar::kNamespace) return true;  // foreign content
    return e.local == "tag" || e.local == "example" || e.local == "meta" || e.local == "metadata" ||
           e.local == "lexicon";
}

class TreeReader {
  public:
    common::Result<std::vector<Rule>> read(const Element& grammar, std::string& root) {
        if (grammar.ns != SrgsGrammar::kNamespace || grammar.local != "grammar")
            return unsupported("<" + grammar.local + "> in namespace '" + grammar.ns +
                               "' is not an SRGS grammar (expected <grammar xmlns=\"" +
                               std::string(SrgsGrammar::kNamespace) + "\">)");
        const std::string* mode = grammar.attr("mode");
        if (mode == nullptr)
            return unsupported(
                "no mode attribute, so a voice grammar; only mode=\"dtmf\" is supported");
        if (trim(*mode) != "dtmf")
            return unsupported("mode=\"" + *mode + "\" is not supported; only mode=\"dtmf\"");
        if (const std::string* v = grammar.attr("version"); v != nullptr && trim(*v) != "1.0")
            return unsupported("version \"" + *v + "\" is not supported (1.0 is)");
        if (!blank(grammar.text)) return malformed(grammar, "text directly inside <grammar>");

        std::vector<Rule> rules;
        for (const Element& child : grammar.children) {
            if (ignoredElement(child)) continue;
            if (child.local != "rule")
                return malformed(child, "<" + child.local + "> is not allowed inside <grammar>");
            if (rules.size() >= SrgsGrammar::kMaxRules)
                return unsupported("more than " + std::to_string(SrgsGrammar::kMaxRules) +
                                   " rules");
            const std::string* id = child.attr("id");
            if (id == nullptr || trim(*id).empty()) return malformed(child, "<rule> without id");
            Rule r;
            r.id = std::string(trim(*id));
            for (const Rule& other : rules)
                if (other.id == r.id) return malformed(child, "two rules named '" + r.id + "'");
            if (const std::string* scope = child.attr("scope")) {
                const std::string_view s = trim(*scope);
                if (s != "public" && s != "private")
                    return malformed(child, "scope \"" + *scope + "\" (public or private)");
                r.isPublic = s == "public";
            }
            auto body = content(child, 1);
            if (!body) return body.error();
            r.body = std::move(body.value());
            r.element = &child;
            rules.push_back(std::move(r));
        }
        if (rules.empty()) return malformed(grammar, "no <rule>");

        if (const std::string* rootAttr = grammar.attr("root")) {
            root = std::string(trim(*rootAttr));
        } else {
            auto pub =
                std::find_if(rules.begin(), rules.end(), [](const Rule& r) { return r.isPublic; });
            if (pub != rules.end()) {
                root = pub->id;
            } else if (rules.size() == 1) {
                root = rules.front().id;
            } else {
                return malformed(grammar, "no root attribute and no public rule to start from");
            }
        }
        return rules;
    }

  private:
    // The rule expansion inside <rule>, <item> or <token>: text tokens and child elements in
    // document order (proto::xml records where each child stood in the text).
    common::Result<Node> content(const Element& e, int depth) {
        if (depth > SrgsGrammar::kMaxNesting)
            return unsupported("elements nested deeper than " +
                               std::to_string(SrgsGrammar::kMaxNesting));
        Node seq;
        seq.kind = Node::Kind::Sequence;
        const std::string& t = e.text;
        // Tokens of t[from, to): whitespace-separated runs of DTMF keys.
        auto addTokens = [&](std::size_t from, std::size_t to) -> common::Status {
            std::size_t i = from;
            while (i < to) {
                if (isSpace(t[i])) {
                    ++i;
                    continue;
                }
                Node n;
                n.kind = Node::Kind::Keys;
                while (i < to && !isSpace(t[i])) {
                    const int k = SrgsGrammar::keyIndex(t[i]);
                    if (k < 0)
                        return malformed(e, std::string("'") + t[i] + "' in \"" +
                                                std::string(trim(t)).substr(0, 40) +
                                                "\" is not a DTMF key");
                    if (n.keys.size() >= SrgsGrammar::kMaxKeys)
                        return unsupported("a token longer than " +
                                           std::to_string(SrgsGrammar::kMaxKeys) + " keys");
                    n.keys.push_back(static_cast<std::uint8_t>(k));
                    ++i;
                }
                seq.children.push_back(std::move(n));
            }
            return {};
        };
        std::size_t at = 0;  // text consumed so far
        for (std::size_t i = 0; i < e.children.size(); ++i) {
            const Element& c = e.children[i];
            const std::size_t before = std::clamp(
                i < e.childTextAt.size() ? e.childTextAt[i] : t.size(), at, t.size());
            if (auto s = addTokens(at, before); !s) return s.error();
            at = before;
            if (ignoredElement(c)) continue;
            if (c.local != "item" && c.local != "one-of" && c.local != "ruleref" &&
                c.local != "token")
                return malformed(c, "<" + c.local + "> is not allowed inside <" + e.local + ">");
            if (e.local == "token") return malformed(c, "<token> holds text only");
            auto n = expansion(c, depth + 1);
            if (!n) return n.error();
            seq.children.push_back(std::move(n.value()));
        }
        if (auto s = addTokens(at, t.size()); !s) return s.error();
        return seq;
    }

    common::Result<Node> expansion(const Element& e, int depth) {
        if (depth > SrgsGrammar::kMaxNesting)
            return unsupported("elements nested deeper than " +
                               std::to_string(SrgsGrammar::kMaxNesting));
        if (e.local == "item") return item(e, depth);
        if (e.local == "token") return content(e, depth);
        if (e.local == "ruleref") return ruleref(e);
        // one-of
        if (!blank(e.text))
            return malformed(e, "text directly inside <one-of> (wrap it in <item>)");
        Node alt;
        alt.kind = Node::Kind::OneOf;
        for (const Element& c : e.children) {
            if (ignoredElement(c)) continue;
            if (c.local != "item")
                return malformed(c, "<" + c.local + "> inside <one-of> (only <item>)");
            auto n = item(c, depth + 1);
            if (!n) return n.error();
            alt.children.push_back(std::move(n.value()));
        }
        if (alt.children.empty()) return malformed(e, "<one-of> without <item>");
        return alt;
    }

    common::Result<Node> item(const Element& e, int depth) {
        auto body = content(e, depth);
        if (!body) return body.error();
        Node n = std::move(body.value());
        if (const std::string* repeat = e.attr("repeat")) {
            const std::string_view r = trim(*repeat);
            const std::size_t dash = r.find('-');
            std::optional<std::uint64_t> lo =
                parseCount(dash == std::string_view::npos ? r : r.substr(0, dash));
            std::optional<std::uint64_t> hi = lo;
            bool open = false;
            if (dash != std::string_view::npos) {
                const std::string_view rest = r.substr(dash + 1);
                open = rest.empty();
                if (!open) hi = parseCount(rest);
            }
            if (!lo || (!open && !hi) || (!open && *hi < *lo))
                return malformed(e, "repeat=\"" + *repeat + "\" (n, m-n or m-)");
            if (*lo > SrgsGrammar::kMaxKeys)
                return unsupported("repeat=\"" + *repeat + "\" asks for more than " +
                                   std::to_string(SrgsGrammar::kMaxKeys) + " repetitions");
            n.minRepeat = static_cast<std::uint32_t>(*lo);
            if (open || *hi > SrgsGrammar::kMaxKeys) {
                n.unbounded = true;
                n.maxRepeat = n.minRepeat;
            } else {
                n.maxRepeat = static_cast<std::uint32_t>(*hi);
            }
        }
        return n;
    }

    common::Result<Node> ruleref(const Element& e) {
        const std::string* uri = e.attr("uri");
        const std::string* special = e.attr("special");
        if ((uri == nullptr) == (special == nullptr))
            return malformed(e, "<ruleref> needs exactly one of uri and special");
        Node n;
        if (special != nullptr) {
            const std::string_view s = trim(*special);
            if (s == "NULL")
                n.kind = Node::Kind::Null;
            else if (s == "VOID")
                n.kind = Node::Kind::Void;
            else if (s == "GARBAGE")
                n.kind = Node::Kind::Garbage;
            else
                return malformed(e, "special=\"" + *special + "\" (NULL, VOID or GARBAGE)");
            return n;
        }
        const std::string_view u = trim(*uri);
        if (u.size() < 2 || u.front() != '#')
            return unsupported("<ruleref uri=\"" + *uri +
                               "\">: only local rules (#id) are supported");
        n.kind = Node::Kind::RuleRef;
        n.ref = std::string(u.substr(1));
        return n;
    }
};

// ------------------------------------------------------------------ automata

struct Fragment {
    int in = 0;
    int out = 0;
};

}  // namespace

class SrgsCompiler {
  public:
    explicit SrgsCompiler(std::vector<Rule>& rules) : rules_(rules) {}

    common::Result<SrgsGrammar> compile(const std::string& rootId) {
        // Resolve references, then refuse recursion.
        std::map<std::string, std::size_t, std::less<>> index;
        for (std::size_t i = 0; i < rules_.size(); ++i) index.emplace(rules_[i].id, i);
        for (Rule& r : rules_)
            if (auto s = resolve(r.body, index, r); !s) return s.error();
        auto root = index.find(rootId);
        if (root == index.end())
            return Error(kMalformed, "SRGS grammar: root rule '" + rootId + "' is not defined");
        std::vector<int> color(rules_.size(), 0);
        for (std::size_t i = 0; i < rules_.size(); ++i)
            if (auto s = findCycle(i, color, 0); !s) return s.error();

        const Fragment f = build(rules_[root->second].body, 0);
        if (overflow_) return unsupported(overflowReason_);
        accept_ = f.out;

        SrgsGrammar g;
        g.root_ = rootId;
        if (auto s = determinize(g, f.in); !s) return s.error();
        prune(g);
        g.maxLength_ = longest(g);
        return g;
    }

  private:
    struct Edge {
        int symbol;  // 0..15, or kEpsilon
        int to;
    };
    static constexpr int kEpsilon = -1;

    common::Status resolve(Node& n, const std::map<std::string, std::size_t, std::less<>>& index,
                           const Rule& in) {
        if (n.kind == Node::Kind::RuleRef) {
            auto it = index.find(n.ref);
            if (it == index.end())
                return malformed(*in.element,
                                 "rule '" + in.id + "' refers to undefined rule '" + n.ref + "'");
            n.rule = it->second;
        }
        for (Node& c : n.children)
            if (auto s = resolve(c, index, in); !s) return s;
        return {};
    }

    void references(const Node& n, std::vector<std::size_t>& out) const {
        if (n.kind == Node::Kind::RuleRef) out.push_back(n.rule);
        for (const Node& c : n.children) references(c, out);
    }

    // Depth-first search over rule references; 1 = on the path, 2 = done.
    common::Status findCycle(std::size_t r, std::vector<int>& color, std::size_t depth) {
        if (color[r] == 2) return {};
        if (color[r] == 1)
            return unsupported("rule '" + rules_[r].id +
                               "' is recursive (it refers back to itself)");
        if (depth > SrgsGrammar::kMaxRules) return unsupported("rule references nested too deeply");
        color[r] = 1;
        std::vector<std::size_t> refs;
        references(rules_[r].body, refs);
        for (std::size_t to : refs)
            if (auto s = findCycle(to, color, depth + 1); !s) return s;
        color[r] = 2;
        return {};
    }

    int newState() {
        if (edges_.size() >= SrgsGrammar::kMaxNfaStates) {
            if (!overflow_)
                overflowReason_ = "grammar too large (more than " +
                                  std::to_string(SrgsGrammar::kMaxNfaStates) + " automaton states)";
            overflow_ = true;
            return 0;
        }
        edges_.emplace_back();
        return static_cast<int>(edges_.size() - 1);
    }
    void link(int from, int to, int symbol = kEpsilon) {
        if (overflow_) return;
        edges_[static_cast<std::size_t>(from)].push_back(Edge{symbol, to});
    }

    Fragment build(const Node& n, int depth) {
        if (overflow_) return {};
        if (depth > 4 * SrgsGrammar::kMaxNesting + static_cast<int>(SrgsGrammar::kMaxRules)) {
            overflow_ = true;
            overflowReason_ = "rules and items nested too deeply";
            return {};
        }
        if (n.minRepeat == 1 && n.maxRepeat == 1 && !n.unbounded) return buildOnce(n, depth);
        const int start = newState();
        int cur = start;
        for (std::uint32_t i = 0; i < n.minRepeat && !overflow_; ++i) {
            const Fragment f = buildOnce(n, depth);
            link(cur, f.in);
            cur = f.out;
        }
        const int end = newState();
        if (n.unbounded) {
            const int loop = newState();
            link(cur, loop);
            const Fragment f = buildOnce(n, depth);
            link(loop, f.in);
            link(f.out, loop);
            link(loop, end);
        } else {
            for (std::uint32_t i = n.minRepeat; i < n.maxRepeat && !overflow_; ++i) {
                const Fragment f = buildOnce(n, depth);
                link(cur, end);
                link(cur, f.in);
                cur = f.out;
            }
            link(cur, end);
        }
        return {start, end};
    }

    Fragment buildOnce(const Node& n, int depth) {
        if (overflow_) return {};
        switch (n.kind) {
            case Node::Kind::Keys: {
                const int start = newState();
                int cur = start;
                for (std::uint8_t k : n.keys) {
                    const int next = newState();
                    link(cur, next, k);
                    cur = next;
                }
                return {start, cur};
            }
            case Node::Kind::Sequence: {
                const int start = newState();
                int cur = start;
                for (const Node& c : n.children) {
                    const Fragment f = build(c, depth + 1);
                    link(cur, f.in);
                    cur = f.out;
                }
                return {start, cur};
            }
            case Node::Kind::OneOf: {
                const int start = newState();
                const int end = newState();
                for (const Node& c : n.children) {
                    const Fragment f = build(c, depth + 1);
                    link(start, f.in);
                    link(f.out, end);
                }
                return {start, end};
            }
            case Node::Kind::RuleRef:
                return build(rules_[n.rule].body, depth + 1);
            case Node::Kind::Null: {
                const int s = newState();
                return {s, s};
            }
            case Node::Kind::Void:
                return {newState(), newState()};
            case Node::Kind::Garbage: {
                const int s = newState();
                for (int k = 0; k < static_cast<int>(SrgsGrammar::kAlphabet); ++k) link(s, s, k);
                return {s, s};
            }
        }
        return {};
    }

    // Adds the epsilon closure of `set` to it, in place; result sorted.
    void close(std::vector<int>& set) {
        ++stampNow_;
        std::vector<int> stack = set;
        for (int s : set) stamp_[static_cast<std::size_t>(s)] = stampNow_;
        while (!stack.empty()) {
            const int s = stack.back();
            stack.pop_back();
            for (const Edge& e : edges_[static_cast<std::size_t>(s)]) {
                if (e.symbol != kEpsilon || stamp_[static_cast<std::size_t>(e.to)] == stampNow_)
                    continue;
                stamp_[static_cast<std::size_t>(e.to)] = stampNow_;
                set.push_back(e.to);
                stack.push_back(e.to);
            }
        }
        std::sort(set.begin(), set.end());
    }

    common::Status determinize(SrgsGrammar& g, int nfaStart) {
        stamp_.assign(edges_.size(), 0);
        std::map<std::vector<int>, SrgsGrammar::State> ids;
        std::vector<std::vector<int>> sets;
        std::vector<int> first{nfaStart};
        close(first);
        ids.emplace(first, 0);
        sets.push_back(std::move(first));
        for (std::size_t d = 0; d < sets.size(); ++d) {
            std::array<SrgsGrammar::State, SrgsGrammar::kAlphabet> row{};
            for (int k = 0; k < static_cast<int>(SrgsGrammar::kAlphabet); ++k) {
                std::vector<int> moved;
                ++stampNow_;
                for (int s : sets[d])
                    for (const Edge& e : edges_[static_cast<std::size_t>(s)])
                        if (e.symbol == k && stamp_[static_cast<std::size_t>(e.to)] != stampNow_) {
                            stamp_[static_cast<std::size_t>(e.to)] = stampNow_;
                            moved.push_back(e.to);
                        }
                if (moved.empty()) {
                    row[static_cast<std::size_t>(k)] = SrgsGrammar::kDead;
                    continue;
                }
                close(moved);
                auto it = ids.find(moved);
                if (it == ids.end()) {
                    if (sets.size() >= SrgsGrammar::kMaxDfaStates)
                        return unsupported("grammar too large (more than " +
                                           std::to_string(SrgsGrammar::kMaxDfaStates) +
                                           " matcher states)");
                    it = ids.emplace(moved, static_cast<SrgsGrammar::State>(sets.size())).first;
                    sets.push_back(std::move(moved));
                }
                row[static_cast<std::size_t>(k)] = it->second;
            }
            g.next_.push_back(row);
            g.accepting_.push_back(std::binary_search(sets[d].begin(), sets[d].end(), accept_) ? 1
                                                                                               : 0);
        }
        g.start_ = 0;
        return {};
    }

    // Removes transitions into states from which no accepting state can be reached.
    static void prune(SrgsGrammar& g) {
        const std::size_t n = g.next_.size();
        std::vector<std::uint8_t> live(g.accepting_);
        for (bool changed = true; changed;) {
            changed = false;
            for (std::size_t s = 0; s < n; ++s) {
                if (live[s]) continue;
                for (SrgsGrammar::State t : g.next_[s])
                    if (t != SrgsGrammar::kDead && live[static_cast<std::size_t>(t)]) {
                        live[s] = 1;
                        changed = true;
                        break;
                    }
            }
        }
        g.extends_.assign(n, 0);
        for (std::size_t s = 0; s < n; ++s) {
            for (SrgsGrammar::State& t : g.next_[s]) {
                if (t != SrgsGrammar::kDead && !live[static_cast<std::size_t>(t)])
                    t = SrgsGrammar::kDead;
                if (t != SrgsGrammar::kDead) g.extends_[s] = 1;
            }
        }
        if (!live[static_cast<std::size_t>(g.start_)]) g.start_ = SrgsGrammar::kDead;
    }

    // Largest k <= kMaxKeys such that some accepted input has k keys.
    static std::size_t longest(const SrgsGrammar& g) {
        if (g.start_ == SrgsGrammar::kDead) return 0;
        const std::size_t n = g.next_.size();
        std::vector<std::uint8_t> cur(n, 0);
        std::vector<std::uint8_t> next(n, 0);
        cur[static_cast<std::size_t>(g.start_)] = 1;
        std::size_t best = 0;
        for (std::size_t k = 0; k <= SrgsGrammar::kMaxKeys; ++k) {
            bool any = false;
            std::fill(next.begin(), next.end(), 0);
            for (std::size_t s = 0; s < n; ++s) {
                if (!cur[s]) continue;
                any = true;
                if (g.accepting_[s]) best = k;
                for (SrgsGrammar::State t : g.next_[s])
                    if (t != SrgsGrammar::kDead) next[static_cast<std::size_t>(t)] = 1;
            }
            if (!any) break;
            std::swap(cur, next);
        }
        return best;
    }

    std::vector<Rule>& rules_;
    std::vector<std::vector<Edge>> edges_;
    int accept_ = 0;
    bool overflow_ = false;
    std::string overflowReason_;
    std::vector<std::uint32_t> stamp_;
    std::uint32_t stampNow_ = 0;
};

common::Result<SrgsGrammar> SrgsGrammar::fromElement(const Element& grammar) {
    std::string root;
    TreeReader reader;
    auto rules = reader.read(grammar, root);
    if (!rules) return rules.error();
    SrgsCompiler compiler(rules.value());
    return compiler.compile(root);
}

common::Result<SrgsGrammar> SrgsGrammar::fromDocument(std::string_view xmlText) {
    auto doc = proto::xml::parse(xmlText);
    // Not XML (ABNF, plain text, a truncated document) or past the XML layer's limits: not
    // a grammar Parley supports, like the other unsupported forms.
    if (!doc)
        return unsupported("cannot be read as XML (only the XML form is supported): " +
                           doc.error().message);
    return fromElement(doc.value());
}

int SrgsGrammar::keyIndex(char key) {
    if (key >= '0' && key <= '9') return key - '0';
    if (key == '*') return 10;
    if (key == '#') return 11;
    if (key >= 'A' && key <= 'D') return 12 + (key - 'A');
    if (key >= 'a' && key <= 'd') return 12 + (key - 'a');
    return -1;
}

SrgsGrammar::State SrgsGrammar::advance(State s, char key) const {
    const int k = keyIndex(key);
    if (s == kDead || k < 0 || static_cast<std::size_t>(s) >= next_.size()) return kDead;
    return next_[static_cast<std::size_t>(s)][static_cast<std::size_t>(k)];
}

SrgsGrammar::Match SrgsGrammar::classify(State s) const {
    if (s == kDead || static_cast<std::size_t>(s) >= next_.size()) return Match::NoMatch;
    const auto i = static_cast<std::size_t>(s);
    if (accepting_[i]) return extends_[i] ? Match::CompleteMayExtend : Match::Complete;
    return Match::Prefix;
}

SrgsGrammar::Match SrgsGrammar::match(std::string_view digits) const {
    if (digits.size() > kMaxKeys) return Match::NoMatch;
    State s = start_;
    for (char c : digits) {
        s = advance(s, c);
        if (s == kDead) return Match::NoMatch;
    }
    return classify(s);
}

std::string_view toString(SrgsGrammar::Match m) {
    switch (m) {
        case SrgsGrammar::Match::NoMatch:
            return "nomatch";
        case SrgsGrammar::Match::Prefix:
            return "prefix";
        case SrgsGrammar::Match::Complete:
            return "complete";
        case SrgsGrammar::Match::CompleteMayExtend:
            return "complete-may-extend";
    }
    return "?";
}

}  // namespace parley::ms::ivr
