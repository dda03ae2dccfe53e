/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libevent (core, extra: evhttp, openssl: bufferevent_openssl) and libssl,
 * loaded on first use (see lazy.h) by the HTTP server (src/http) only:
 * include this, not their headers.
 */
#ifndef BULKHEAD_LAZY_EVENT_H
#define BULKHEAD_LAZY_EVENT_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lazy/lazy.h"

/* libevent_core */
#define bufferevent_get_input	   BH_LAZY(event_core, bufferevent_get_input)
#define bufferevent_get_output	   BH_LAZY(event_core, bufferevent_get_output)
#define event_base_new_with_config BH_LAZY(event_core, event_base_new_with_config)
#define event_config_free	   BH_LAZY(event_core, event_config_free)
#define event_config_new	   BH_LAZY(event_core, event_config_new)
#define event_config_set_flag	   BH_LAZY(event_core, event_config_set_flag)
#define bufferevent_getfd	   BH_LAZY(event_core, bufferevent_getfd)
#define bufferevent_socket_new	   BH_LAZY(event_core, bufferevent_socket_new)
#define event_add		   BH_LAZY(event_core, event_add)
#define event_base_dispatch	   BH_LAZY(event_core, event_base_dispatch)
#define event_base_free		   BH_LAZY(event_core, event_base_free)
#define event_base_loopexit	   BH_LAZY(event_core, event_base_loopexit)
#define event_base_new		   BH_LAZY(event_core, event_base_new)
#define event_free		   BH_LAZY(event_core, event_free)
#define event_new		   BH_LAZY(event_core, event_new)
#define evbuffer_add		   BH_LAZY(event_core, evbuffer_add)
#define evbuffer_get_length	   BH_LAZY(event_core, evbuffer_get_length)
#define evbuffer_pullup		   BH_LAZY(event_core, evbuffer_pullup)
#define evbuffer_new		   BH_LAZY(event_core, evbuffer_new)
#define evbuffer_free		   BH_LAZY(event_core, evbuffer_free)
#define bufferevent_get_underlying BH_LAZY(event_core, bufferevent_get_underlying)
#define bufferevent_set_timeouts   BH_LAZY(event_core, bufferevent_set_timeouts)
#define bufferevent_getcb	   BH_LAZY(event_core, bufferevent_getcb)
#define bufferevent_incref	   BH_LAZY(event_core, bufferevent_incref)
#define bufferevent_decref	   BH_LAZY(event_core, bufferevent_decref)
#define bufferevent_disable	   BH_LAZY(event_core, bufferevent_disable)
/* libevent_extra */
#define evhttp_accept_socket_with_handle  BH_LAZY(event_extra, evhttp_accept_socket_with_handle)
#define evhttp_add_header		  BH_LAZY(event_extra, evhttp_add_header)
#define evhttp_connection_get_bufferevent BH_LAZY(event_extra, evhttp_connection_get_bufferevent)
#define evhttp_connection_get_peer	  BH_LAZY(event_extra, evhttp_connection_get_peer)
#define evhttp_del_accept_socket	  BH_LAZY(event_extra, evhttp_del_accept_socket)
#define evhttp_find_header		  BH_LAZY(event_extra, evhttp_find_header)
#define evhttp_free			  BH_LAZY(event_extra, evhttp_free)
#define evhttp_new			  BH_LAZY(event_extra, evhttp_new)
#define evhttp_request_get_command	  BH_LAZY(event_extra, evhttp_request_get_command)
#define evhttp_request_get_connection	  BH_LAZY(event_extra, evhttp_request_get_connection)
#define evhttp_request_get_evhttp_uri	  BH_LAZY(event_extra, evhttp_request_get_evhttp_uri)
#define evhttp_request_get_input_buffer	  BH_LAZY(event_extra, evhttp_request_get_input_buffer)
#define evhttp_request_get_input_headers  BH_LAZY(event_extra, evhttp_request_get_input_headers)
#define evhttp_request_get_output_buffer  BH_LAZY(event_extra, evhttp_request_get_output_buffer)
#define evhttp_request_get_output_headers BH_LAZY(event_extra, evhttp_request_get_output_headers)
#define evhttp_request_set_on_complete_cb BH_LAZY(event_extra, evhttp_request_set_on_complete_cb)
#define evhttp_send_reply		  BH_LAZY(event_extra, evhttp_send_reply)
#define evhttp_send_reply_start		  BH_LAZY(event_extra, evhttp_send_reply_start)
#define evhttp_send_reply_chunk		  BH_LAZY(event_extra, evhttp_send_reply_chunk)
#define evhttp_send_reply_end		  BH_LAZY(event_extra, evhttp_send_reply_end)
#define evhttp_connection_free		  BH_LAZY(event_extra, evhttp_connection_free)
#define evhttp_set_allowed_methods	  BH_LAZY(event_extra, evhttp_set_allowed_methods)
#define evhttp_set_bevcb		  BH_LAZY(event_extra, evhttp_set_bevcb)
#define evhttp_set_gencb		  BH_LAZY(event_extra, evhttp_set_gencb)
#define evhttp_set_max_body_size	  BH_LAZY(event_extra, evhttp_set_max_body_size)
#define evhttp_set_max_headers_size	  BH_LAZY(event_extra, evhttp_set_max_headers_size)
#define evhttp_set_timeout_tv		  BH_LAZY(event_extra, evhttp_set_timeout_tv)
#define evhttp_uri_get_path		  BH_LAZY(event_extra, evhttp_uri_get_path)
#define evhttp_uri_get_query		  BH_LAZY(event_extra, evhttp_uri_get_query)
/* libevent_openssl */
#define bufferevent_openssl_socket_new BH_LAZY(event_openssl, bufferevent_openssl_socket_new)
#define bufferevent_openssl_get_ssl    BH_LAZY(event_openssl, bufferevent_openssl_get_ssl)
/* libssl (and libcrypto's error queue through it) */
#define ERR_clear_error			   BH_LAZY(ssl, ERR_clear_error)
#define ERR_error_string_n		   BH_LAZY(ssl, ERR_error_string_n)
#define ERR_get_error			   BH_LAZY(ssl, ERR_get_error)
#define SSL_CTX_check_private_key	   BH_LAZY(ssl, SSL_CTX_check_private_key)
#define SSL_CTX_ctrl			   BH_LAZY(ssl, SSL_CTX_ctrl)
#define SSL_CTX_free			   BH_LAZY(ssl, SSL_CTX_free)
#define SSL_CTX_new			   BH_LAZY(ssl, SSL_CTX_new)
#define SSL_CTX_set_options		   BH_LAZY(ssl, SSL_CTX_set_options)
#define SSL_CTX_use_PrivateKey_file	   BH_LAZY(ssl, SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate_chain_file BH_LAZY(ssl, SSL_CTX_use_certificate_chain_file)
#define SSL_new				   BH_LAZY(ssl, SSL_new)
#define SSL_set_ex_data			   BH_LAZY(ssl, SSL_set_ex_data)
#define TLS_server_method		   BH_LAZY(ssl, TLS_server_method)
/* client certificates (src/http/tls.c) */
#define SSL_CTX_get_ex_data		   BH_LAZY(ssl, SSL_CTX_get_ex_data)
#define SSL_CTX_load_verify_locations	   BH_LAZY(ssl, SSL_CTX_load_verify_locations)
#define SSL_CTX_set_client_CA_list	   BH_LAZY(ssl, SSL_CTX_set_client_CA_list)
#define SSL_CTX_set_ex_data		   BH_LAZY(ssl, SSL_CTX_set_ex_data)
#define SSL_CTX_set_session_id_context	   BH_LAZY(ssl, SSL_CTX_set_session_id_context)
#define SSL_CTX_set_verify		   BH_LAZY(ssl, SSL_CTX_set_verify)
#define SSL_get0_peer_certificate	   BH_LAZY(ssl, SSL_get0_peer_certificate)
#define SSL_get_SSL_CTX			   BH_LAZY(ssl, SSL_get_SSL_CTX)
#define SSL_get_ex_data_X509_STORE_CTX_idx BH_LAZY(ssl, SSL_get_ex_data_X509_STORE_CTX_idx)
#define SSL_get_verify_result		   BH_LAZY(ssl, SSL_get_verify_result)
#define SSL_load_client_CA_file		   BH_LAZY(ssl, SSL_load_client_CA_file)
/* libcrypto's, found through libssl's handle as the ERR_ ones */
#define X509_STORE_CTX_get_ex_data BH_LAZY(ssl, X509_STORE_CTX_get_ex_data)
#define X509_check_host		   BH_LAZY(ssl, X509_check_host)
#define X509_NAME_free		   BH_LAZY(ssl, X509_NAME_free)
#define OPENSSL_sk_pop_free	   BH_LAZY(ssl, OPENSSL_sk_pop_free)

#endif
