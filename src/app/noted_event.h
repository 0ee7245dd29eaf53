// A system event that an offline command (`restore`, `rebuild-records`) leaves
// in a note beside the data directory's files, because it cannot write the
// ledger itself at that moment: the first process that opens the ledger
// appends it, exactly once, before anything else is written there.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"
#include "ledger/ledger.h"
#include "storage/projection_store.h"

namespace vellum::app {

// Appends a `type` event by the system carrying `data` (and `reason`, if any),
// unless an event of that type with exactly that data is already among the
// events from `from_seq` on (an open that appended it stopped before it could
// remove the note).
Status AppendNotedEventOnce(ledger::Ledger& ledger, storage::ProjectionStore& projection, std::string_view type,
                            const boost::json::object& data, uint64_t from_seq,
                            std::optional<std::string> reason = std::nullopt);

// A rebuild's note (`note`, read from the file `note_path` in `dir`) as a `type`
// event: its "reason" is the event's reason, the rest its data, appended once
// (AppendNotedEventOnce, from its "events" on); then the file is removed.
Status RecordRebuildNote(core::Env* env, const std::string& dir, const std::string& note_path, ledger::Ledger& ledger,
                         storage::ProjectionStore& projection, std::string_view type, boost::json::object note);

}  // namespace vellum::app
