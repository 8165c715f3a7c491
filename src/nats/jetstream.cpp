#include <natty/nats/jetstream.hpp>
#include <natty/util/redact.hpp>
#include <natty/util/subject.hpp>

#include <algorithm>

namespace natty::nats {
namespace {

std::string text_of(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

// nats.c's times are Unix nanoseconds, 0 when unset.
std::chrono::system_clock::time_point time_of(std::int64_t unix_ns) {
    return std::chrono::system_clock::time_point(std::chrono::nanoseconds(unix_ns));
}

std::optional<std::chrono::system_clock::time_point> optional_time_of(std::int64_t unix_ns) {
    if (unix_ns <= 0) {
        return std::nullopt;
    }
    return time_of(unix_ns);
}

StreamConfig config_of(const jsStreamConfig& c) {
    StreamConfig config;
    config.name = text_of(c.Name);
    config.description = text_of(c.Description);
    for (int i = 0; i < c.SubjectsLen; ++i) {
        config.subjects.push_back(text_of(c.Subjects[i]));
    }
    config.storage = c.Storage == js_MemoryStorage ? StorageType::memory : StorageType::file;
    config.replicas = c.Replicas;
    config.max_consumers = c.MaxConsumers;
    config.max_messages = c.MaxMsgs;
    config.max_bytes = c.MaxBytes;
    config.max_age = std::chrono::nanoseconds(c.MaxAge);
    config.max_messages_per_subject = c.MaxMsgsPerSubject;
    config.max_message_size = c.MaxMsgSize;
    return config;
}

StreamState state_of(const jsStreamState& s) {
    StreamState state;
    state.messages = s.Msgs;
    state.bytes = s.Bytes;
    state.first_sequence = s.FirstSeq;
    state.last_sequence = s.LastSeq;
    state.first_time = optional_time_of(s.FirstTime);
    state.last_time = optional_time_of(s.LastTime);
    state.consumers = s.Consumers;
    return state;
}

ClusterInfo cluster_of(const jsClusterInfo& c) {
    ClusterInfo cluster;
    cluster.name = text_of(c.Name);
    cluster.leader = text_of(c.Leader);
    for (int i = 0; i < c.ReplicasLen; ++i) {
        const jsPeerInfo& p = *c.Replicas[i];
        cluster.replicas.push_back(
            {text_of(p.Name), p.Current, p.Offline, std::chrono::nanoseconds(p.Active), p.Lag});
    }
    return cluster;
}

AccountLimits limits_of(const jsAccountLimits& l) {
    AccountLimits limits;
    limits.max_memory = l.MaxMemory;
    limits.max_store = l.MaxStore;
    limits.max_streams = l.MaxStreams;
    limits.max_consumers = l.MaxConsumers;
    limits.max_ack_pending = l.MaxAckPending;
    limits.memory_max_stream_bytes = l.MemoryMaxStreamBytes;
    limits.store_max_stream_bytes = l.StoreMaxStreamBytes;
    limits.max_bytes_required = l.MaxBytesRequired;
    return limits;
}

} // namespace

const char* storage_name(StorageType storage) {
    return storage == StorageType::memory ? "memory" : "file";
}

StreamInfo to_stream_info(const jsStreamInfo& info) {
    StreamInfo out;
    if (info.Config != nullptr) {
        out.config = config_of(*info.Config);
    }
    out.state = state_of(info.State);
    out.created = time_of(info.Created);
    if (info.Cluster != nullptr) {
        out.cluster = cluster_of(*info.Cluster);
    }
    return out;
}

AccountInfo to_account_info(const jsAccountInfo& info) {
    AccountInfo out;
    out.memory = info.Memory;
    out.store = info.Store;
    out.streams = info.Streams;
    out.consumers = info.Consumers;
    out.domain = text_of(info.Domain);
    out.api_requests = info.API.Total;
    out.api_errors = info.API.Errors;
    out.limits = limits_of(info.Limits);
    return out;
}

JetStream::JetStream(Connection& connection) : m_connection(&connection) {
    const ConnectSpec& spec = connection.spec();
    jsOptions options;
    check(jsOptions_Init(&options), "initialise JetStream options");
    options.Wait = to_millis(spec.timeout);
    if (!spec.jetstream_domain.empty()) {
        options.Domain = spec.jetstream_domain.c_str();
    }
    if (!spec.jetstream_api_prefix.empty()) {
        options.Prefix = spec.jetstream_api_prefix.c_str();
    }
    m_js = make<JetStreamHandle>(
        "create JetStream context", natsConnection_JetStream, connection.get(), &options);
}

AccountInfoHandle JetStream::account_info() {
    jsAccountInfo* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_GetAccountInfo(&raw, m_js.get(), nullptr, &code);
    check_js(status, code, "read JetStream account information");
    return AccountInfoHandle(raw);
}

AccountInfo JetStream::account() {
    return to_account_info(*account_info());
}

void require_stream_name(const std::string& name, std::string_view what) {
    if (const auto why = jetstream_name_problem(name)) {
        throw UsageError(std::string(what) + ": invalid stream name \"" + name + "\": " + *why,
                         "stream names are one word without spaces, '.', '*', '>', '/' or '\\'");
    }
}

StreamInfoHandle JetStream::stream_info_handle(const std::string& name, std::string_view what) {
    require_stream_name(name, what);
    jsStreamInfo* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_GetStreamInfo(&raw, m_js.get(), name.c_str(), nullptr, &code);
    if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
        clear_last_error(); // an answer, not a failure
        return {};
    }
    check_js(status, code, what);
    return StreamInfoHandle(raw);
}

std::optional<StreamInfo> JetStream::stream_info(const std::string& name) {
    const auto info = stream_info_handle(name, "read stream \"" + name + "\"");
    if (!info) {
        return std::nullopt;
    }
    return to_stream_info(*info);
}

std::vector<StreamInfo> JetStream::streams(const std::string& subject_filter,
                                           std::string_view what) {
    jsOptions opts;
    check(jsOptions_Init(&opts), "initialise JetStream options");
    opts.Stream.Info.SubjectsFilter = subject_filter.c_str();
    jsStreamInfoList* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_Streams(&raw, m_js.get(), &opts, &code);
    std::vector<StreamInfo> out;
    if (status == NATS_NOT_FOUND) {
        clear_last_error(); // no stream matches
        return out;
    }
    check_js(status, code, what);
    const Handle<jsStreamInfoList, jsStreamInfoList_Destroy> list(raw);
    for (int i = 0; list && i < list->Count; ++i) {
        out.push_back(to_stream_info(*list->List[i]));
    }
    std::sort(out.begin(), out.end(), [](const StreamInfo& a, const StreamInfo& b) {
        return a.config.name < b.config.name;
    });
    return out;
}

void throw_jetstream_error(natsStatus status, jsErrCode code, std::string_view what) {
    const std::string detail = last_error_detail(status);
    // Without JetStream the API has no responders; an account without it gets an error reply.
    if (status == NATS_NO_RESPONDERS || code == JSNotEnabledForAccountErr
        || code == JSNotEnabledErr || detail.find("not enabled") != std::string::npos) {
        throw NatsError(NATS_ERR,
                        std::string(what)
                            + ": JetStream is not enabled on this server "
                              "or account",
                        "start nats-server with -js (or a jetstream {} block), or check the "
                        "account's JetStream limits");
    }
    throw NatsError(status, describe(status, what, detail));
}

} // namespace natty::nats
