/*-------------------------------------------------------------------------
 *
 * uuid7.c
 *	  Time-ordered UUIDs and random API tokens.
 *
 * Version 7 UUIDs start with the Unix time in milliseconds, so rows inserted
 * together sit together at the right edge of their indexes.  Twelve bits of
 * sub-millisecond time follow (RFC 9562, method 3), which keeps the ids of one
 * backend in creation order; the remaining 62 bits are random.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/time.h>

#include "fmgr.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#define TOKEN_RANDOM_CHARS 43	/* 43 base62 characters carry 256 bits */

static void
fill_random(void *buf, size_t len)
{
	if (!pg_strong_random(buf, len))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
}

/* A new version 7 UUID. */
PG_FUNCTION_INFO_V1(signals_uuid_v7);
Datum
signals_uuid_v7(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *uuid = palloc(sizeof(pg_uuid_t));
	struct timeval tv;
	uint64		unix_ms;
	uint32		sub_ms;

	gettimeofday(&tv, NULL);
	unix_ms = (uint64) tv.tv_sec * 1000 + tv.tv_usec / 1000;
	sub_ms = (uint32) ((tv.tv_usec % 1000) * 4096 / 1000);

	fill_random(uuid->data + 8, 8);
	uuid->data[0] = (unsigned char) (unix_ms >> 40);
	uuid->data[1] = (unsigned char) (unix_ms >> 32);
	uuid->data[2] = (unsigned char) (unix_ms >> 24);
	uuid->data[3] = (unsigned char) (unix_ms >> 16);
	uuid->data[4] = (unsigned char) (unix_ms >> 8);
	uuid->data[5] = (unsigned char) unix_ms;
	uuid->data[6] = (unsigned char) (0x70 | (sub_ms >> 8));
	uuid->data[7] = (unsigned char) sub_ms;
	uuid->data[8] = (unsigned char) (0x80 | (uuid->data[8] & 0x3F));

	PG_RETURN_UUID_P(uuid);
}

/* A new random token: the prefix, then 43 base62 characters. */
PG_FUNCTION_INFO_V1(signals_new_token);
Datum
signals_new_token(PG_FUNCTION_ARGS)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char	   *prefix = text_to_cstring(PG_GETARG_TEXT_PP(0));
	size_t		prefix_len = strlen(prefix);
	char	   *token = palloc(prefix_len + TOKEN_RANDOM_CHARS + 1);
	int			filled = 0;

	memcpy(token, prefix, prefix_len);
	while (filled < TOKEN_RANDOM_CHARS)
	{
		unsigned char bytes[64];

		fill_random(bytes, sizeof(bytes));
		for (int i = 0; i < (int) sizeof(bytes) && filled < TOKEN_RANDOM_CHARS; i++)
		{
			/* Reject bytes >= 248 so that every character is equally likely. */
			if (bytes[i] < 248)
				token[prefix_len + filled++] = alphabet[bytes[i] % 62];
		}
	}
	token[prefix_len + TOKEN_RANDOM_CHARS] = '\0';

	PG_RETURN_TEXT_P(cstring_to_text(token));
}
