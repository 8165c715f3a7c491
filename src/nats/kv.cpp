#include <natty/nats/kv.hpp>
#include <natty/util/json_escape.hpp>
#include <natty/util/kv_names.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace natty::nats {
namespace {

// Owns the contents of a kvKeysList (nats.c fills a caller-provided struct).
class KeysList {
public:
    KeysList() = default;
    KeysList(const KeysList&) = delete;
    KeysList& operator=(const KeysList&) = delete;
    ~KeysList() { kvKeysList_Destroy(&m_list); }
    kvKeysList* get() { return &m_list; }

private:
    kvKeysList m_list{};
};

// Owns the contents of a kvEntryList.
class EntryList {
public:
    EntryList() = default;
    EntryList(const EntryList&) = delete;
    EntryList& operator=(const EntryList&) = delete;
    ~EntryList() { kvEntryList_Destroy(&m_list); }
    kvEntryList* get() { return &m_list; }

private:
    kvEntryList m_list{};
};

using MetaHandle = Handle<jsMsgMetaData, jsMsgMetaData_Destroy>;
using ConsumerInfoHandle = Handle<jsConsumerInfo, jsConsumerInfo_Destroy>;

KvOp op_of(kvOperation op) {
    switch (op) {
    case kvOp_Delete:
        return KvOp::del;
    case kvOp_Purge:
        return KvOp::purge;
    default:
        return KvOp::put;
    }
}

KvRecord record_of(kvEntry* entry) {
    KvRecord r;
    r.bucket = kvEntry_Bucket(entry);
    r.key = kvEntry_Key(entry);
    const void* data = kvEntry_Value(entry);
    const int len = kvEntry_ValueLen(entry);
    if (data != nullptr && len > 0) {
        r.value.assign(static_cast<const char*>(data), static_cast<std::size_t>(len));
    }
    r.revision = kvEntry_Revision(entry);
    r.created =
        std::chrono::system_clock::time_point(std::chrono::nanoseconds(kvEntry_Created(entry)));
    r.delta = kvEntry_Delta(entry);
    r.op = op_of(kvEntry_Operation(entry));
    return r;
}

int checked_length(const std::string& value) {
    if (value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw NatsError(NATS_INVALID_ARG,
                        "value of " + std::to_string(value.size())
                            + " bytes is too large for nats.c");
    }
    return static_cast<int>(value.size());
}

// True when the last error says the expected revision was not the latest (CAS failure).
bool is_wrong_sequence(natsStatus status) {
    const std::string detail = last_error_detail(status);
    return detail.find("wrong last sequence") != std::string::npos
           || detail.find("key exists") != std::string::npos;
}

} // namespace

const char* kv_op_name(KvOp op) {
    switch (op) {
    case KvOp::del:
        return "DEL";
    case KvOp::purge:
        return "PURGE";
    default:
        return "PUT";
    }
}

std::vector<std::string> kv_bucket_names(JetStream& js) {
    jsOptions opts;
    check(jsOptions_Init(&opts), "initialise JetStream options");
    opts.Stream.Info.SubjectsFilter = "$KV.>";
    jsStreamNamesList* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_StreamNames(&raw, js.get(), &opts, &code);
    std::vector<std::string> names;
    if (status == NATS_NOT_FOUND) {
        clear_last_error(); // no bucket: an answer, not a failure
        return names;
    }
    check_js(status, code, "list buckets");
    Handle<jsStreamNamesList, jsStreamNamesList_Destroy> list(raw);
    for (int i = 0; i < list->Count; ++i) {
        const std::string name = list->List[i];
        if (name.rfind("KV_", 0) == 0) {
            names.push_back(name.substr(3));
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<StreamInfo> kv_bucket_infos(JetStream& js) {
    std::vector<StreamInfo> buckets = js.streams("$KV.>", "list buckets");
    // A stream may listen on $KV.> without being a bucket.
    std::erase_if(buckets, [](const StreamInfo& s) { return s.config.name.rfind("KV_", 0) != 0; });
    return buckets;
}

std::optional<StreamInfo> kv_bucket_info(JetStream& js, const std::string& bucket) {
    const auto info = kv_bucket_stream(js, bucket);
    if (!info) {
        return std::nullopt;
    }
    return to_stream_info(*info);
}

StreamInfoHandle kv_bucket_stream(JetStream& js, const std::string& bucket) {
    return js.stream_info_handle("KV_" + bucket, "read bucket \"" + bucket + "\"");
}

void kv_delete_bucket(JetStream& js, const std::string& bucket) {
    check_js(js_DeleteKeyValue(js.get(), bucket.c_str()),
             static_cast<jsErrCode>(0),
             "delete bucket \"" + bucket + "\"");
}

KvBucket KvBucket::open(JetStream& js, const std::string& name) {
    kvStore* raw = nullptr;
    const natsStatus status = js_KeyValue(&raw, js.get(), name.c_str());
    if (status == NATS_NOT_FOUND) {
        throw NatsError(NATS_NOT_FOUND, "bucket \"" + name + "\" not found");
    }
    check_js(status, static_cast<jsErrCode>(0), "open bucket \"" + name + "\"");
    return KvBucket(name, KvStoreHandle(raw));
}

KvBucket KvBucket::create(JetStream& js, const KvBucketConfig& config) {
    kvConfig cfg;
    check(kvConfig_Init(&cfg), "initialise bucket configuration");
    cfg.Bucket = config.bucket.c_str();
    // nats.c pastes the description into the stream's JSON configuration unescaped.
    const std::string description = json_escaped(config.description);
    if (!description.empty()) {
        cfg.Description = description.c_str();
    }
    cfg.History = static_cast<uint8_t>(config.history);
    cfg.TTL = config.ttl.count(); // nats.c copies it to the stream's MaxAge: nanoseconds
    cfg.MaxValueSize = static_cast<int32_t>(config.max_value_size);
    cfg.MaxBytes = config.max_bucket_size;
    cfg.StorageType = config.memory_storage ? js_MemoryStorage : js_FileStorage;
    cfg.Replicas = config.replicas;
    kvStore* raw = nullptr;
    const natsStatus status = js_CreateKeyValue(&raw, js.get(), &cfg);
    check_js(status, static_cast<jsErrCode>(0), "create bucket \"" + config.bucket + "\"");
    return KvBucket(config.bucket, KvStoreHandle(raw));
}

std::optional<KvRecord> KvBucket::get(const std::string& key,
                                      std::optional<std::uint64_t> revision) {
    kvEntry* raw = nullptr;
    const natsStatus status = revision
                                  ? kvStore_GetRevision(&raw, m_kv.get(), key.c_str(), *revision)
                                  : kvStore_Get(&raw, m_kv.get(), key.c_str());
    if (status == NATS_NOT_FOUND) {
        clear_last_error(); // no such key or revision: an answer, not a failure
        return std::nullopt;
    }
    check(status, "get \"" + key + "\" from bucket \"" + m_name + "\"");
    KvEntryHandle entry(raw);
    return record_of(entry.get());
}

std::uint64_t KvBucket::put(const std::string& key, const std::string& value) {
    std::uint64_t rev = 0;
    check(kvStore_Put(&rev, m_kv.get(), key.c_str(), value.data(), checked_length(value)),
          "put \"" + key + "\" in bucket \"" + m_name + "\"");
    return rev;
}

std::optional<std::uint64_t> KvBucket::create(const std::string& key, const std::string& value) {
    std::uint64_t rev = 0;
    const natsStatus status =
        kvStore_Create(&rev, m_kv.get(), key.c_str(), value.data(), checked_length(value));
    if (status != NATS_OK && is_wrong_sequence(status)) {
        return std::nullopt;
    }
    check(status, "create \"" + key + "\" in bucket \"" + m_name + "\"");
    return rev;
}

std::optional<std::uint64_t>
KvBucket::update(const std::string& key, const std::string& value, std::uint64_t last) {
    std::uint64_t rev = 0;
    const natsStatus status =
        kvStore_Update(&rev, m_kv.get(), key.c_str(), value.data(), checked_length(value), last);
    if (status != NATS_OK && is_wrong_sequence(status)) {
        return std::nullopt;
    }
    check(status, "update \"" + key + "\" in bucket \"" + m_name + "\"");
    return rev;
}

void KvBucket::del(const std::string& key) {
    check(kvStore_Delete(m_kv.get(), key.c_str()),
          "delete \"" + key + "\" in bucket \"" + m_name + "\"");
}

void KvBucket::purge(const std::string& key) {
    check(kvStore_Purge(m_kv.get(), key.c_str(), nullptr),
          "purge \"" + key + "\" in bucket \"" + m_name + "\"");
}

void KvBucket::purge_deletes(JetStream& js, Duration timeout) {
    // Done here rather than with kvStore_PurgeDeletes, which leaks its entries in nats.c 3.4.1.
    kvWatchOptions wopts;
    check(kvWatchOptions_Init(&wopts), "initialise watch options");
    wopts.MetaOnly = true;
    kvWatcher* raw = nullptr;
    check(kvStore_WatchAll(&raw, m_kv.get(), &wopts), "compact bucket \"" + m_name + "\"");
    KvWatcherHandle watcher(raw);
    std::vector<std::string> deleted;
    for (;;) {
        kvEntry* entry = nullptr;
        const natsStatus status = kvWatcher_Next(&entry, watcher.get(), to_millis(timeout));
        check(status, "compact bucket \"" + m_name + "\"");
        if (entry == nullptr) {
            break;
        }
        KvEntryHandle owned(entry);
        // Keys come from the server, and anyone who may publish to $KV.<bucket>.> can make one:
        // nats.c pastes the purge subject into JSON unescaped ("x\",\"filter\":\"$KV.b.other"
        // would purge another key), so only keys a KV client could have written are purged.
        const char* key = kvEntry_Key(owned.get());
        if (kvEntry_Operation(owned.get()) != kvOp_Put && key != nullptr
            && kv_key_problem(key).empty()) {
            deleted.emplace_back(key);
        }
    }
    const std::string stream = "KV_" + m_name;
    for (const auto& key : deleted) {
        const std::string subject = "$KV." + m_name + "." + key;
        jsOptions opts;
        check(jsOptions_Init(&opts), "initialise JetStream options");
        opts.Stream.Purge.Subject = subject.c_str();
        jsErrCode code = static_cast<jsErrCode>(0);
        check_js(js_PurgeStream(js.get(), stream.c_str(), &opts, &code),
                 code,
                 "purge \"" + key + "\" in bucket \"" + m_name + "\"");
    }
}

std::vector<KvRecord> KvBucket::history(const std::string& key, Duration timeout) {
    kvWatchOptions opts;
    check(kvWatchOptions_Init(&opts), "initialise watch options");
    opts.Timeout = to_millis(timeout);
    EntryList list;
    const natsStatus status = kvStore_History(list.get(), m_kv.get(), key.c_str(), &opts);
    std::vector<KvRecord> out;
    if (status == NATS_NOT_FOUND) {
        clear_last_error(); // the key never existed: an answer, not a failure
        return out;
    }
    check(status, "read the history of \"" + key + "\" in bucket \"" + m_name + "\"");
    for (int i = 0; i < list.get()->Count; ++i) {
        out.push_back(record_of(list.get()->Entries[i]));
    }
    return out;
}

std::vector<std::string> KvBucket::keys(const std::string& filter, Duration timeout) {
    kvWatchOptions opts;
    check(kvWatchOptions_Init(&opts), "initialise watch options");
    opts.IgnoreDeletes = true;
    opts.MetaOnly = true;
    kvWatcher* raw = nullptr;
    check(kvStore_Watch(&raw, m_kv.get(), filter.c_str(), &opts),
          "list the keys of bucket \"" + m_name + "\"");
    KvWatcherHandle watcher(raw);
    std::vector<std::string> out;
    for (;;) {
        kvEntry* entry = nullptr;
        const natsStatus status = kvWatcher_Next(&entry, watcher.get(), to_millis(timeout));
        if (status == NATS_TIMEOUT) {
            throw NatsError(NATS_TIMEOUT,
                            "listing the keys of bucket \"" + m_name + "\" timed out after "
                                + std::to_string(out.size()) + " keys; the list is incomplete",
                            "raise --timeout");
        }
        check(status, "list the keys of bucket \"" + m_name + "\"");
        if (entry == nullptr) {
            break;
        }
        KvEntryHandle owned(entry);
        out.emplace_back(kvEntry_Key(owned.get()));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

KvChangeStream::KvChangeStream(JetStream& js,
                               std::string bucket,
                               std::string filter,
                               KvStart start,
                               std::uint64_t start_revision)
    : m_js(&js), m_bucket(std::move(bucket)), m_filter(std::move(filter)),
      m_prefix("$KV." + m_bucket + ".") {
    subscribe(start, start_revision);
}

void KvChangeStream::subscribe(KvStart start, std::uint64_t start_revision) {
    m_sub.reset();
    const std::string stream = "KV_" + m_bucket;
    const std::string subject = m_prefix + m_filter;
    jsSubOptions so;
    check(jsSubOptions_Init(&so), "initialise subscription options");
    so.Stream = stream.c_str();
    so.Ordered = true;
    switch (start) {
    case KvStart::last_per_key:
        so.Config.DeliverPolicy = js_DeliverLastPerSubject;
        break;
    case KvStart::all:
        so.Config.DeliverPolicy = js_DeliverAll;
        break;
    case KvStart::new_only:
        so.Config.DeliverPolicy = js_DeliverNew;
        break;
    case KvStart::revision:
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = std::max<std::uint64_t>(start_revision, 1);
        break;
    }
    natsSubscription* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status =
        js_SubscribeSync(&raw, m_js->get(), subject.c_str(), nullptr, &so, &code);
    if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
        throw NatsError(NATS_NOT_FOUND, "bucket \"" + m_bucket + "\" not found");
    }
    check_js(status, code, "watch bucket \"" + m_bucket + "\"");
    m_sub.reset(raw);
    // The ordered consumer's flow control bounds what the server sends; never drop locally.
    check(natsSubscription_SetPendingLimits(m_sub.get(), -1, -1), "set watch pending limits");
    m_initial_done = start == KvStart::new_only;
    m_initial_end = 0;
    if (!m_initial_done) {
        jsConsumerInfo* ci_raw = nullptr;
        if (natsSubscription_GetConsumerInfo(&ci_raw, m_sub.get(), nullptr, &code) == NATS_OK) {
            ConsumerInfoHandle ci(ci_raw);
            int queued = 0;
            natsSubscription_GetPending(m_sub.get(), &queued, nullptr);
            if (ci->NumPending == 0) {
                // Everything initial is already on its way: it ends at the last one delivered.
                m_initial_end = ci->Delivered.Stream;
                m_initial_done = ci->Delivered.Consumer == 0 && queued == 0;
            }
        }
    }
}

bool KvChangeStream::consumer_drained() {
    int queued = 0;
    natsSubscription_GetPending(m_sub.get(), &queued, nullptr);
    if (queued != 0) {
        return false;
    }
    jsConsumerInfo* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (natsSubscription_GetConsumerInfo(&raw, m_sub.get(), nullptr, &code) != NATS_OK) {
        return false;
    }
    ConsumerInfoHandle ci(raw);
    return ci->NumPending == 0;
}

KvRecord KvChangeStream::decode(natsMsg* msg, std::uint64_t& pending) const {
    KvRecord r;
    r.bucket = m_bucket;
    const std::string subject = natsMsg_GetSubject(msg);
    r.key = subject.rfind(m_prefix, 0) == 0 ? subject.substr(m_prefix.size()) : subject;
    const char* data = natsMsg_GetData(msg);
    const int len = natsMsg_GetDataLength(msg);
    if (data != nullptr && len > 0) {
        r.value.assign(data, static_cast<std::size_t>(len));
    }
    const char* op = nullptr;
    if (natsMsgHeader_Get(msg, "KV-Operation", &op) == NATS_OK && op != nullptr) {
        if (std::strcmp(op, "DEL") == 0) {
            r.op = KvOp::del;
        } else if (std::strcmp(op, "PURGE") == 0) {
            r.op = KvOp::purge;
        }
    }
    jsMsgMetaData* meta_raw = nullptr;
    check(natsMsg_GetMetaData(&meta_raw, msg), "read watch message metadata");
    MetaHandle meta(meta_raw);
    r.revision = meta->Sequence.Stream;
    r.created = std::chrono::system_clock::time_point(std::chrono::nanoseconds(meta->Timestamp));
    r.delta = meta->NumPending;
    pending = meta->NumPending;
    return r;
}

KvEvent KvChangeStream::next(std::chrono::milliseconds timeout) {
    KvEvent ev;
    if (m_initial_done && !m_initial_reported) {
        m_initial_reported = true;
        ev.kind = KvEvent::Kind::initial_done;
        return ev;
    }
    natsMsg* raw = nullptr;
    const natsStatus status = natsSubscription_NextMsg(&raw, m_sub.get(), timeout.count());
    if (status == NATS_TIMEOUT) {
        // Idle before the initial values were seen to end: ask the server directly.
        if (!m_initial_done && consumer_drained()) {
            m_initial_done = true;
            m_initial_reported = true;
            ev.kind = KvEvent::Kind::initial_done;
        }
        return ev;
    }
    check(status, "watch bucket \"" + m_bucket + "\"");
    MessageHandle msg(raw);
    std::uint64_t pending = 0;
    ev.record = decode(msg.get(), pending);
    ev.kind = KvEvent::Kind::record;
    if (pending == 0 || (m_initial_end != 0 && ev.record.revision >= m_initial_end)) {
        m_initial_done = true;
    }
    return ev;
}

void KvChangeStream::resume(std::uint64_t revision) {
    if (m_sub) {
        natsSubscription_Unsubscribe(m_sub.get());
    }
    subscribe(KvStart::revision, revision);
}

bool KvChangeStream::consumer_alive(std::chrono::milliseconds timeout) {
    jsOptions opts;
    if (jsOptions_Init(&opts) != NATS_OK) {
        return false;
    }
    opts.Wait = timeout.count();
    jsConsumerInfo* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (natsSubscription_GetConsumerInfo(&raw, m_sub.get(), &opts, &code) != NATS_OK) {
        return false;
    }
    ConsumerInfoHandle ci(raw);
    return true;
}

} // namespace natty::nats
