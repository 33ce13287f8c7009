#pragma once
// Preparing an msc-ivr/1.0 dialog on the control thread (RFC 6231 section 4.2.1): every
// prompt resource is fetched and decoded, spoken variables are expanded into phrase files,
// the custom grammar is fetched and compiled, before the dialog is handed to a media worker
// (which never waits for a file or a network).
//
//   DialogPreparation::run(dialog, options, env, [](Result<PreparedDialog>) {...});
//
// Contract:
// - The callback runs exactly once, on the control thread (through env.post), never inside
//   run(). Errors carry the RFC 6231 status: 409 a resource could not be retrieved, 420 URI
//   scheme, 422 playback format, 424 grammar format, 425 variable, 433 collect with record,
//   430 record configuration, 439 other.
// - `alive` lets the owner cancel: when it reads false at completion, the callback is not
//   called (the owner has gone or the request was cancelled).
// - Record targets are not opened here (that happens when the dialog starts, so a prepared
//   dialog holds no open file).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "ms/ivr/media_fetcher.hpp"
#include "ms/ivr/prompt_player.hpp"
#include "ms/ivr/srgs_grammar.hpp"
#include "proto/packages/ivr/dialog.hpp"

namespace parley::ms {

struct PreparedDialog {
    proto::ivr::Dialog dialog;
    std::optional<ivr::Playlist> playlist;  // when the dialog has a prompt
    std::shared_ptr<const ivr::SrgsGrammar> grammar;
    std::chrono::milliseconds promptLength{0};  // decoded audio, for logs
};

struct PrepareOptions {
    std::optional<std::chrono::seconds> maxAge;
    std::optional<std::chrono::seconds> maxStale;
};

struct PrepareEnv {
    ivr::MediaFetcher* fetcher = nullptr;
    std::filesystem::path mediaRoot;  // phrases live under <root>/phrases/en-US/
    std::function<void(std::function<void()>)> post;  // runs a task on the control thread
};

class DialogPreparation {
  public:
    using Done = std::function<void(common::Result<PreparedDialog>)>;
    static void run(proto::ivr::Dialog dialog, PrepareOptions options, PrepareEnv env,
                    std::shared_ptr<bool> alive, Done done);
};

// The checks that need no fetching, run before anything is fetched (status codes as above).
common::Status checkDialogSupported(const proto::ivr::Dialog& dialog);

}  // namespace parley::ms
