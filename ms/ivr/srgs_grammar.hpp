#pragma once
// SrgsGrammar: a DTMF grammar in the XML form of SRGS 1.0 (the format RFC 6231 requires
// for <collect><grammar>), compiled once on the control thread into a deterministic
// automaton that the media worker walks one key at a time.
//
// Contract:
// - fromElement()/fromDocument() never throw. Errors: Error{424, reason} when the grammar is
//   not SRGS (a document that is not XML at all, such as ABNF, included), is a voice grammar (mode absent or not "dtmf"), or uses what Parley does not
//   support (external rule references, recursive rules, a grammar past the bounds below);
//   Error{400, reason} when it is malformed
//   (unknown rule referenced, duplicate rule id, a token that is not a DTMF key, a bad
//   repeat attribute...). 424 is the RFC 6231 status for an unsupported grammar.
// - match(), start(), advance() and classify() never allocate, lock or throw; a compiled
//   grammar is immutable, so one instance may be shared by dialogs on several workers.
//
// The subset accepted:
// - <grammar mode="dtmf" [version="1.0"] [root="id"]> in the SRGS namespace; <rule id
//   [scope="public|private"]>, <one-of>, <item [repeat="n" | "m-n" | "m-"]> (repeat-prob and
//   weight ignored), <token>, <ruleref uri="#id"> and <ruleref special="NULL|VOID|GARBAGE">
//   (GARBAGE matches any run of keys, possibly empty), text tokens of the DTMF keys 0-9 * #
//   A-D (a-d too) separated by whitespace; a token of several keys ("123") is those keys in
//   sequence. <tag>, <example>, <meta>, <metadata>, <lexicon> and elements of other
//   namespaces are ignored.
// - Without root=, the root is the first rule with scope="public", else the only rule.
// - Text and elements inside one element are read in document order ("1 <ruleref/> #" is
//   1, the rule, then #), on one line or many.
// - Bounds: kMaxRules rules, kMaxNesting nested elements, a repeat minimum of at most
//   kMaxKeys (a larger maximum means "unbounded", which is the same for inputs of kMaxKeys
//   keys or fewer), kMaxNfaStates / kMaxDfaStates automaton states. Input longer than
//   kMaxKeys keys never matches.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "proto/xml/xml.hpp"

namespace parley::ms::ivr {

class SrgsGrammar {
  public:
    static constexpr std::string_view kNamespace = "http://www.w3.org/2001/06/grammar";
    static constexpr std::size_t kMaxKeys = 128;
    static constexpr std::size_t kMaxRules = 256;
    static constexpr int kMaxNesting = 64;
    static constexpr std::size_t kMaxNfaStates = 4096;
    static constexpr std::size_t kMaxDfaStates = 1024;
    static constexpr std::size_t kAlphabet = 16;  // 0-9 * # A-D

    enum class Match { NoMatch, Prefix, Complete, CompleteMayExtend };

    // `grammar` is the SRGS <grammar> element itself (for RFC 6231, the child of the
    // msc-ivr <grammar> element).
    static common::Result<SrgsGrammar> fromElement(const proto::xml::Element& grammar);
    // A whole SRGS document (an external .grxml), parsed with proto::xml::parse.
    static common::Result<SrgsGrammar> fromDocument(std::string_view xmlText);

    // The whole string against the root rule.
    Match match(std::string_view digits) const;
    // Longest accepted input in keys (at most kMaxKeys; kMaxKeys when unbounded).
    std::size_t maxLength() const { return maxLength_; }
    const std::string& rootRule() const { return root_; }
    std::size_t stateCount() const { return accepting_.size(); }

    // Incremental matching: State is a value; kDead once the input can no longer match.
    using State = std::int32_t;
    static constexpr State kDead = -1;
    State start() const { return start_; }
    State advance(State s, char key) const;
    Match classify(State s) const;

    // 0..15 for a DTMF key ('0'-'9', '*', '#', 'A'-'D', 'a'-'d'), else -1.
    static int keyIndex(char key);

  private:
    SrgsGrammar() = default;
    friend class SrgsCompiler;

    std::vector<std::array<State, kAlphabet>> next_;  // per state, kDead when no way on
    std::vector<std::uint8_t> accepting_;
    std::vector<std::uint8_t> extends_;  // some key leads to a live state
    State start_ = kDead;
    std::size_t maxLength_ = 0;
    std::string root_;
};

std::string_view toString(SrgsGrammar::Match m);

}  // namespace parley::ms::ivr
