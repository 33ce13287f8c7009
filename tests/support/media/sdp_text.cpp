#include "tests/support/media/sdp_text.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <sstream>

namespace parley::test {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

template <typename T>
std::optional<T> number(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// "IN IP4 1.2.3.4" -> "1.2.3.4" (a TTL or count suffix "/127" is dropped).
std::optional<std::string> connectionAddress(std::string_view value) {
    auto w = words(value);
    if (w.size() < 3 || w[0] != "IN") return std::nullopt;
    auto addr = w[2];
    if (auto slash = addr.find('/'); slash != std::string_view::npos) addr = addr.substr(0, slash);
    return std::string(addr);
}

bool isDirection(std::string_view a) {
    return a == "sendrecv" || a == "sendonly" || a == "recvonly" || a == "inactive";
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string buildAudioSdp(const AudioSdpOptions& o) {
    std::ostringstream s;
    s << "v=0\r\n"
      << "o=parley-test " << o.sessionId << ' ' << o.sessionVersion << " IN IP4 " << o.address
      << "\r\n"
      << "s=parley-test\r\n"
      << "c=IN IP4 " << o.address << "\r\n"
      << "t=0 0\r\n"
      << "m=audio " << o.port << " RTP/AVP";
    for (auto pt : o.payloadTypes) s << ' ' << int(pt);
    if (o.telephoneEventPt) s << ' ' << int(*o.telephoneEventPt);
    s << "\r\n";
    for (auto pt : o.payloadTypes) {
        if (pt == 0)
            s << "a=rtpmap:0 PCMU/8000\r\n";
        else if (pt == 8)
            s << "a=rtpmap:8 PCMA/8000\r\n";
    }
    if (o.telephoneEventPt) {
        s << "a=rtpmap:" << int(*o.telephoneEventPt) << " telephone-event/8000\r\n"
          << "a=fmtp:" << int(*o.telephoneEventPt) << " 0-15\r\n";
    }
    if (o.ptimeMs > 0) s << "a=ptime:" << o.ptimeMs << "\r\n";
    s << "a=" << (o.direction.empty() ? "sendrecv" : o.direction) << "\r\n";
    if (!o.label.empty()) s << "a=label:" << o.label << "\r\n";
    return s.str();
}

std::optional<std::uint8_t> RemoteAudio::firstG711() const {
    for (auto pt : payloadTypes) {
        if (pt == 0 || pt == 8) return pt;
        auto it = rtpmap.find(pt);
        if (it != rtpmap.end()) {
            auto name = upper(it->second);
            if (name.rfind("PCMU/8000", 0) == 0 || name.rfind("PCMA/8000", 0) == 0) return pt;
        }
    }
    return std::nullopt;
}

common::Result<std::vector<RemoteAudio>> parseAudioStreams(std::string_view sdp) {
    std::vector<RemoteAudio> streams;
    std::string sessionAddress;
    std::string sessionDirection = "sendrecv";
    bool inMedia = false;
    bool inAudio = false;
    bool audioHasDirection = false;
    bool audioHasAddress = false;
    std::size_t mIndex = 0;

    auto finishAudio = [&] {
        if (!inAudio) return;
        auto& a = streams.back();
        if (!audioHasAddress) a.address = sessionAddress;
        if (!audioHasDirection) a.direction = sessionDirection;
    };

    std::size_t pos = 0;
    while (pos < sdp.size()) {
        std::size_t nl = sdp.find('\n', pos);
        std::string_view line =
            sdp.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? sdp.size() : nl + 1;
        line = trim(line);
        if (line.size() < 2 || line[1] != '=') continue;
        char type = line[0];
        std::string_view value = line.substr(2);

        if (type == 'm') {
            finishAudio();
            inMedia = true;
            auto w = words(value);
            inAudio = !w.empty() && w[0] == "audio";
            ++mIndex;
            if (!inAudio) continue;
            RemoteAudio a;
            a.mlineIndex = mIndex - 1;
            if (w.size() >= 2) {
                auto portText = w[1];
                if (auto slash = portText.find('/'); slash != std::string_view::npos)
                    portText = portText.substr(0, slash);
                a.port = number<std::uint16_t>(portText).value_or(0);
            }
            if (w.size() >= 3) a.protocol = std::string(w[2]);
            for (std::size_t i = 3; i < w.size(); ++i)
                if (auto pt = number<unsigned>(w[i]); pt && *pt < 128)
                    a.payloadTypes.push_back(static_cast<std::uint8_t>(*pt));
            streams.push_back(std::move(a));
            audioHasDirection = audioHasAddress = false;
            continue;
        }
        if (type == 'c') {
            auto addr = connectionAddress(value);
            if (!addr) continue;
            if (!inMedia)
                sessionAddress = *addr;
            else if (inAudio) {
                streams.back().address = *addr;
                audioHasAddress = true;
            }
            continue;
        }
        if (type != 'a') continue;
        if (isDirection(value)) {
            if (!inMedia)
                sessionDirection = std::string(value);
            else if (inAudio) {
                streams.back().direction = std::string(value);
                audioHasDirection = true;
            }
            continue;
        }
        if (!inAudio) continue;
        auto& a = streams.back();
        auto colon = value.find(':');
        if (colon == std::string_view::npos) continue;
        auto name = value.substr(0, colon);
        auto rest = trim(value.substr(colon + 1));
        if (name == "rtpmap") {
            auto w = words(rest);
            if (w.size() < 2) continue;
            auto pt = number<unsigned>(w[0]);
            if (!pt || *pt > 127) continue;
            a.rtpmap[static_cast<std::uint8_t>(*pt)] = std::string(w[1]);
            if (upper(w[1]).rfind("TELEPHONE-EVENT/8000", 0) == 0)
                a.telephoneEventPt = static_cast<std::uint8_t>(*pt);
        } else if (name == "ptime") {
            a.ptimeMs = number<int>(rest).value_or(0);
        } else if (name == "label") {
            a.label = std::string(rest);
        }
    }
    finishAudio();
    if (streams.empty()) return common::makeError(EINVAL, "no m=audio line in the SDP");
    return streams;
}

common::Result<RemoteAudio> parseRemoteAudio(std::string_view sdp) {
    auto streams = parseAudioStreams(sdp);
    if (!streams) return streams.error();
    for (auto& s : streams.value())
        if (s.port != 0) {
            if (s.address.empty())
                return common::makeError(EINVAL, "audio m-line without a c= address");
            return s;
        }
    return common::makeError(EINVAL, "every m=audio line has port 0");
}

}  // namespace parley::test
