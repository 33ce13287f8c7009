#pragma once
// msc-ivr/1.0 (RFC 6231) in one include: types, dialog language, messages, parse and
// serialize, status codes and the builders a media server uses.
//
// Typical use on the media server:
//   auto msg = ivr::parse(body, {ivr::ForeignPolicy::Reject});
//   if (!msg) reply(ivr::makeErrorResponse(msg.error(), ivr::peekDialogId(body).value_or("")));
// and on the application server:
//   auto msg = ivr::parse(body);   // foreign content kept in `ext`

#include "proto/packages/ivr/builders.hpp"
#include "proto/packages/ivr/codec.hpp"
#include "proto/packages/ivr/dialog.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/packages/ivr/status.hpp"
#include "proto/packages/ivr/types.hpp"
