#pragma once

#include <nats/nats.h>

#include <memory>

namespace natty::nats {

// Calls a nats.c destroy function; lets unique_ptr own nats.c handles.
template <auto DestroyFn>
struct Deleter {
    template <typename T>
    void operator()(T* handle) const noexcept {
        DestroyFn(handle);
    }
};

template <typename T, auto DestroyFn>
using Handle = std::unique_ptr<T, Deleter<DestroyFn>>;

using OptionsHandle = Handle<natsOptions, natsOptions_Destroy>;
using ConnectionHandle = Handle<natsConnection, natsConnection_Destroy>;
using SubscriptionHandle = Handle<natsSubscription, natsSubscription_Destroy>;
using MessageHandle = Handle<natsMsg, natsMsg_Destroy>;
using JetStreamHandle = Handle<jsCtx, jsCtx_Destroy>;
using KvStoreHandle = Handle<kvStore, kvStore_Destroy>;
using KvEntryHandle = Handle<kvEntry, kvEntry_Destroy>;
using KvWatcherHandle = Handle<kvWatcher, kvWatcher_Destroy>;
using KvStatusHandle = Handle<kvStatus, kvStatus_Destroy>;
using KvKeysListHandle = Handle<kvKeysList, kvKeysList_Destroy>;
using KvEntryListHandle = Handle<kvEntryList, kvEntryList_Destroy>;
using StreamInfoHandle = Handle<jsStreamInfo, jsStreamInfo_Destroy>;
using AccountInfoHandle = Handle<jsAccountInfo, jsAccountInfo_Destroy>;
using PubAckHandle = Handle<jsPubAck, jsPubAck_Destroy>;
using InboxHandle = Handle<natsInbox, natsInbox_Destroy>;

// The one place the `T**` out-parameter dance happens: `auto h = make<OptionsHandle>(
// natsOptions_Create, "create options")` runs the creator and owns the result or throws.
template <typename H, typename Fn, typename... Args>
H make(std::string_view what, Fn&& create, Args&&... args);

} // namespace natty::nats

#include <natty/nats/error.hpp>

namespace natty::nats {

template <typename H, typename Fn, typename... Args>
H make(std::string_view what, Fn&& create, Args&&... args) {
    typename H::pointer raw = nullptr;
    check(create(&raw, std::forward<Args>(args)...), what);
    return H(raw);
}

} // namespace natty::nats
