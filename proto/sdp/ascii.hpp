#pragma once
// ASCII case-insensitive comparison for SDP names (attribute names, media types, protos and
// encoding names compare that way). Internal to proto/sdp.

#include <cstddef>
#include <string_view>

namespace parley::proto::sdp::detail {

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

}  // namespace parley::proto::sdp::detail
