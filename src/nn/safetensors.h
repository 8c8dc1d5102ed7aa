/*
 * safetensors: read and write the safetensors format (8-byte little-endian
 * header length, JSON header of name -> dtype/shape/data_offsets, raw
 * little-endian data).  We write F32; we read F32, F64, F16, BF16, I64,
 * I32, I16, I8, U8 and BOOL, converting to float32.
 */
#ifndef LL_SAFETENSORS_H
#define LL_SAFETENSORS_H

#include "nn/tensor.h"

/* Write n named tensors atomically.  Names and tensors are borrowed. */
int ll_safetensors_save(const char *path, const char *const *names,
                        ll_tensor **ts, int n, ll_err *err);

/* Read every tensor.  On success *names (n strings, each malloc'd, in file
 * order) and *ts (n references) belong to the caller: free with
 * ll_safetensors_list_free. */
int ll_safetensors_load(const char *path, char ***names, ll_tensor ***ts,
                        int *n, ll_err *err);
/* The same from len bytes in memory; path names them in messages. */
int ll_safetensors_parse(const char *path, const char *data, size_t len,
                         char ***names, ll_tensor ***ts, int *n, ll_err *err);
void ll_safetensors_list_free(char **names, ll_tensor **ts, int n);

#endif
