/*  fuzz_frames.c - the decoders of crier's internal frames and control messages: notification
    frames (ingest -> resolver), deliveries (resolver -> senders), receipts (events and ingest's
    journal), ingest's replies, control requests and replies, events as JSON (crier tail), and
    the throttle windows of ingest's journal. The first byte picks the decoder. */
#include "crier/control.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/receipt.h"
#include "crier/reply.h"
#include "crier/throttle_window.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t kind = data[0];
    data++;
    size--;
    crier_error_t error;
    switch (kind % 8) {
        case 0: {
            crier_frame_redelivery_t redelivery = {0};
            crier_notification_t *notification =
                crier_frame_decode_notification (data, size, &redelivery, &error);
            crier_notification_destroy (&notification);
            crier_frame_redelivery_free (&redelivery);
            break;
        }
        case 1: {
            crier_delivery_t *delivery = crier_frame_decode_delivery (data, size, &error);
            crier_delivery_destroy (&delivery);
            break;
        }
        case 2: {
            crier_receipt_t receipt = {0};
            crier_receipt_decode (data, size, &receipt, &error);
            crier_receipt_free (&receipt);
            break;
        }
        case 3: {
            crier_reply_t reply = {0};
            crier_reply_decode (data, size, &reply, &error);
            crier_reply_free (&reply);
            break;
        }
        case 4: {
            crier_control_request_t request = {0};
            crier_control_request_decode (data, size, &request, &error);
            crier_control_request_free (&request);
            break;
        }
        case 5: {
            crier_control_reply_t reply = {0};
            crier_control_reply_decode (data, size, &reply, &error);
            crier_control_reply_free (&reply);
            break;
        }
        case 7: {
            crier_throttle_window_t window;
            if (crier_throttle_window_decode (data, size, &window, &error) == 0)
                crier_throttle_window_free (&window);
            break;
        }
        default:
            free (crier_event_to_json (data, size));
            break;
    }
    return 0;
}
