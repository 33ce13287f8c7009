#pragma once
// Serialises a Message to the CFW wire format exactly as RFC 7058's examples show it.
//
// Contract:
// - Lines end in CRLF; headers are "Name: value" with one space.
// - Header order is fixed (it reproduces every RFC 7058 example):
//     Control-Package, Dialog-ID, Seq, Status, Timeout, Keep-Alive, Packages, Supported,
//     extension headers (in their order), Content-Type, Content-Length.
//   Lists are joined with "," and no space ("Packages: msc-ivr/1.0,msc-mixer/1.0").
// - Content-Length is written whenever there is a body or a Content-Type. A message
//   without either carries no Content-Length, as in every body-less RFC 7058 example
//   ("CFW 518ba6047880 200"); WriteOptions::zeroContentLength writes "Content-Length: 0"
//   on those too, for peers that read RFC 6230 section 6.1 strictly. The parser accepts
//   both forms.
// - The writer does not validate: callers build well-formed messages (the channel does).

#include <string>

#include "proto/cfw/message.hpp"

namespace parley::proto::cfw {

struct WriteOptions {
    bool zeroContentLength = false;
};

std::string serialize(const Message& m, const WriteOptions& options = {});
void appendTo(std::string& out, const Message& m, const WriteOptions& options = {});

}  // namespace parley::proto::cfw
