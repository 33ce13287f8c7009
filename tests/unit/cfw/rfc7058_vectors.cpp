#include "rfc7058_vectors.hpp"


#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::cfw {

namespace {

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    std::string cur;
    for (char c : text) {
        if (c == '\n') {
            lines.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) lines.push_back(cur);
    return lines;
}

bool isBlank(const std::string& s) { return s.find_first_not_of(" \t\f") == std::string::npos; }

std::size_t indentOf(const std::string& s) {
    auto n = s.find_first_not_of(' ');
    return n == std::string::npos ? s.size() : n;
}

// Drops the page footer, form feed and running header of every page, with the blank lines
// that pad the bottom of the page and the blank top margin of the next.
std::vector<std::string> removePageBreaks(const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (!parley::test::reMatch(in[i], R"(^\S.*\[Page \d+\]\s*$)").empty()) {
            while (!out.empty() && isBlank(out.back())) out.pop_back();
            std::size_t j = i + 1;
            if (j < in.size() && in[j].find('\f') != std::string::npos && isBlank(in[j])) ++j;
            if (j < in.size() && in[j].rfind("RFC 7058", 0) == 0) ++j;
            else if (j < in.size() && in[j].rfind("\fRFC 7058", 0) == 0) ++j;
            if (j < in.size() && isBlank(in[j])) ++j;
            // Keep one blank line so that a block ending at the page end stays ended.
            out.emplace_back();
            i = j - 1;
            continue;
        }
        out.push_back(in[i]);
    }
    return out;
}

// Joins lines folded with a trailing backslash.
std::vector<std::string> unfold(const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        std::string line = in[i];
        while (!line.empty() && line.back() == '\\' && i + 1 < in.size()) {
            line.pop_back();
            while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
            const std::string& nextLine = in[++i];
            line += nextLine.substr(std::min(indentOf(nextLine), nextLine.size()));
        }
        out.push_back(line);
    }
    return out;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<std::string> RfcVector::correctedHeaderLines() const {
    std::vector<std::string> out;
    for (const auto& h : headerLines) {
        if (h.rfind("Content-Length:", 0) == 0) {
            out.push_back("Content-Length: " + std::to_string(body.size()));
        } else {
            out.push_back(h);
        }
    }
    return out;
}

std::string RfcVector::wire() const {
    std::string w = startLine + "\r\n";
    for (const auto& h : correctedHeaderLines()) w += h + "\r\n";
    w += "\r\n";
    w += body;
    return w;
}

std::optional<std::vector<RfcVector>> loadRfc7058Vectors() {
    auto dir = parley::test::specDir();
    if (!dir || !std::filesystem::exists(*dir / "rfc7058.txt")) return std::nullopt;
    auto raw = splitLines(parley::test::readFile(*dir / "rfc7058.txt"));
    auto lines = unfold(removePageBreaks(raw));

    const std::string heading = R"(^   ([A-Z]?\d+\. \S+ (->|<-) \S+ \((CFW [^)]*|K-ALIVE)\))\s*$)";
    std::vector<RfcVector> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::vector<std::string> mt = parley::test::reMatch(lines[i], heading);
        if (mt.empty()) continue;
        RfcVector v;
        v.heading = mt[1];
        std::size_t j = i + 1;
        if (j < lines.size() && lines[j].find("---") != std::string::npos) ++j;
        while (j < lines.size() && isBlank(lines[j])) ++j;
        if (j >= lines.size() || trim(lines[j]).rfind("CFW ", 0) != 0) continue;
        v.startLine = trim(lines[j++]);
        bool hasBody = false;
        while (j < lines.size() && !isBlank(lines[j]) && indentOf(lines[j]) >= 4 &&
               trim(lines[j]).front() != '<') {
            std::string h = trim(lines[j++]);
            if (h.rfind("Content-Length:", 0) == 0 && trim(h.substr(15)) != "0") hasBody = true;
            v.headerLines.push_back(h);
        }
        if (hasBody) {
            while (j < lines.size() && isBlank(lines[j])) ++j;
            std::vector<std::string> bodyLines;
            while (j < lines.size() && !isBlank(lines[j]) && indentOf(lines[j]) >= 4) {
                const std::string& b = lines[j++];
                bodyLines.push_back(b.substr(std::min<std::size_t>(6, indentOf(b))));
            }
            for (std::size_t k = 0; k < bodyLines.size(); ++k) {
                if (k > 0) v.body += "\r\n";
                v.body += bodyLines[k];
            }
        }
        out.push_back(std::move(v));
        i = j - 1;
    }
    return out;
}

}  // namespace parley::test::cfw
