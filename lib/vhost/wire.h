/* SPDX-License-Identifier: MIT */
/*
 * wire.h - vhost-user messages as they travel on the Unix socket
 * (QEMU docs/interop/vhost-user.rst). Native byte order, packed; file
 * descriptors travel beside a message in SCM_RIGHTS, never inside it.
 */
#ifndef PB_VHOST_WIRE_H
#define PB_VHOST_WIRE_H

#include <stdint.h>

/* Front-end -> back-end requests: X(id, NAME). */
#define PB_VU_REQUESTS(X)                                                                          \
	X(1, GET_FEATURES)                                                                         \
	X(2, SET_FEATURES)                                                                         \
	X(3, SET_OWNER)                                                                            \
	X(4, RESET_OWNER)                                                                          \
	X(5, SET_MEM_TABLE)                                                                        \
	X(6, SET_LOG_BASE)                                                                         \
	X(7, SET_LOG_FD)                                                                           \
	X(8, SET_VRING_NUM)                                                                        \
	X(9, SET_VRING_ADDR)                                                                       \
	X(10, SET_VRING_BASE)                                                                      \
	X(11, GET_VRING_BASE)                                                                      \
	X(12, SET_VRING_KICK)                                                                      \
	X(13, SET_VRING_CALL)                                                                      \
	X(14, SET_VRING_ERR)                                                                       \
	X(15, GET_PROTOCOL_FEATURES)                                                               \
	X(16, SET_PROTOCOL_FEATURES)                                                               \
	X(17, GET_QUEUE_NUM)                                                                       \
	X(18, SET_VRING_ENABLE)                                                                    \
	X(19, SEND_RARP)                                                                           \
	X(20, NET_SET_MTU)                                                                         \
	X(21, SET_BACKEND_REQ_FD)                                                                  \
	X(22, IOTLB_MSG)                                                                           \
	X(23, SET_VRING_ENDIAN)                                                                    \
	X(24, GET_CONFIG)                                                                          \
	X(25, SET_CONFIG)                                                                          \
	X(26, CREATE_CRYPTO_SESSION)                                                               \
	X(27, CLOSE_CRYPTO_SESSION)                                                                \
	X(28, POSTCOPY_ADVISE)                                                                     \
	X(29, POSTCOPY_LISTEN)                                                                     \
	X(30, POSTCOPY_END)                                                                        \
	X(31, GET_INFLIGHT_FD)                                                                     \
	X(32, SET_INFLIGHT_FD)                                                                     \
	X(33, GPU_SET_SOCKET)                                                                      \
	X(34, RESET_DEVICE)                                                                        \
	X(35, VRING_KICK)                                                                          \
	X(36, GET_MAX_MEM_SLOTS)                                                                   \
	X(37, ADD_MEM_REG)                                                                         \
	X(38, REM_MEM_REG)                                                                         \
	X(39, SET_STATUS)                                                                          \
	X(40, GET_STATUS)

enum pb_vu_request {
#define PB_VU_ENUM(id, name) VHOST_USER_##name = id,
	PB_VU_REQUESTS(PB_VU_ENUM)
#undef PB_VU_ENUM
	    VHOST_USER_MAX_REQUEST
};

/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VHOST_USER_PROTOCOL_F_MQ		   0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD		   1
#define VHOST_USER_PROTOCOL_F_RARP		   2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK		   3
#define VHOST_USER_PROTOCOL_F_NET_MTU		   4
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ	   5
#define VHOST_USER_PROTOCOL_F_CROSS_ENDIAN	   6
#define VHOST_USER_PROTOCOL_F_CRYPTO_SESSION	   7
#define VHOST_USER_PROTOCOL_F_PAGEFAULT		   8
#define VHOST_USER_PROTOCOL_F_CONFIG		   9
#define VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD	   10
#define VHOST_USER_PROTOCOL_F_HOST_NOTIFIER	   11
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD	   12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE	   13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS  15
#define VHOST_USER_PROTOCOL_F_STATUS		   16

/* Header flags. */
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_VERSION	0x1u
#define VHOST_USER_REPLY_MASK	(1u << 2)
#define VHOST_USER_NEED_REPLY	(1u << 3)

/* SET_VRING_KICK/CALL/ERR u64: bits 0-7 queue index, bit 8 "no fd" (poll). */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD	  (1u << 8)

/* vhost-user allows at most 8 regions in SET_MEM_TABLE (one fd each). */
#define VHOST_MEMORY_BASELINE_NREGIONS 8
/* SCM_RIGHTS fds accepted with one message. */
#define PB_VU_MAX_FDS 8

struct pb_vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* bytes of payload that follow */
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_hdr) == 12, "vhost-user header is 12 bytes");

struct pb_vu_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_vring_state) == 8, "vring state is 8 bytes");

#define VHOST_VRING_F_LOG 0 /* bit in pb_vu_vring_addr.flags */

struct pb_vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_vring_addr) == 40, "vring addr is 40 bytes");

struct pb_vu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_mem_region) == 32, "memory region is 32 bytes");

struct pb_vu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct pb_vu_mem_region regions[VHOST_MEMORY_BASELINE_NREGIONS];
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_memory) == 8 + 8 * 32, "memory table is 264 bytes");

/* ADD_MEM_REG / REM_MEM_REG payload. */
struct pb_vu_single_region {
	uint64_t padding;
	struct pb_vu_mem_region region;
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_single_region) == 40, "single region is 40 bytes");

struct pb_vu_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_log) == 16, "log description is 16 bytes");

/* GET/SET_CONFIG: header, then size bytes of config space. */
#define PB_VU_CONFIG_MAX 256
struct pb_vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[PB_VU_CONFIG_MAX];
} __attribute__((packed));
#define PB_VU_CONFIG_HDR_SIZE 12

struct pb_vu_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
} __attribute__((packed));
_Static_assert(sizeof(struct pb_vu_inflight) == 20, "inflight description is 20 bytes");

struct pb_vu_iotlb {
	uint64_t iova;
	uint64_t size;
	uint64_t uaddr;
	uint8_t perm;
	uint8_t type;
} __attribute__((packed));

union pb_vu_payload {
	uint64_t u64;
	struct pb_vu_vring_state state;
	struct pb_vu_vring_addr addr;
	struct pb_vu_memory memory;
	struct pb_vu_single_region mem_reg;
	struct pb_vu_log log;
	struct pb_vu_config config;
	struct pb_vu_inflight inflight;
	struct pb_vu_iotlb iotlb;
	uint8_t raw[4096]; /* largest payload accepted; bigger ones are rejected */
};

/* Name of a request for logs ("GET_FEATURES"), or "UNKNOWN". */
const char *pb_vu_request_name(uint32_t request);

#endif /* PB_VHOST_WIRE_H */
