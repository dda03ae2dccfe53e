/* SPDX-License-Identifier: Apache-2.0 */
/* tpm2-tss (ESAPI, the TCTI loader, marshalling, rc decoding), loaded on first
 * use (see lazy.h): include this, not its headers. Only src/tpm's TPM side
 * uses it; quote verification does not. */
#ifndef BULKHEAD_LAZY_TSS2_H
#define BULKHEAD_LAZY_TSS2_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "lazy/lazy.h"

#define Esys_CreatePrimary	       BH_LAZY(esys, Esys_CreatePrimary)
#define Esys_EvictControl	       BH_LAZY(esys, Esys_EvictControl)
#define Esys_Finalize		       BH_LAZY(esys, Esys_Finalize)
#define Esys_FlushContext	       BH_LAZY(esys, Esys_FlushContext)
#define Esys_Free		       BH_LAZY(esys, Esys_Free)
#define Esys_Initialize		       BH_LAZY(esys, Esys_Initialize)
#define Esys_NV_DefineSpace	       BH_LAZY(esys, Esys_NV_DefineSpace)
#define Esys_NV_UndefineSpace	       BH_LAZY(esys, Esys_NV_UndefineSpace)
#define Esys_NV_Write		       BH_LAZY(esys, Esys_NV_Write)
#define Esys_PCR_Extend		       BH_LAZY(esys, Esys_PCR_Extend)
#define Esys_PCR_Read		       BH_LAZY(esys, Esys_PCR_Read)
#define Esys_Quote		       BH_LAZY(esys, Esys_Quote)
#define Esys_SetTimeout		       BH_LAZY(esys, Esys_SetTimeout)
#define Esys_Sign		       BH_LAZY(esys, Esys_Sign)
#define Esys_ReadPublic		       BH_LAZY(esys, Esys_ReadPublic)
#define Esys_TR_FromTPMPublic	       BH_LAZY(esys, Esys_TR_FromTPMPublic)
#define Esys_TR_Serialize	       BH_LAZY(esys, Esys_TR_Serialize)
#define Tss2_TctiLdr_Finalize	       BH_LAZY(tctildr, Tss2_TctiLdr_Finalize)
#define Tss2_TctiLdr_Initialize	       BH_LAZY(tctildr, Tss2_TctiLdr_Initialize)
#define Tss2_MU_TPM2B_PUBLIC_Marshal   BH_LAZY(mu, Tss2_MU_TPM2B_PUBLIC_Marshal)
#define Tss2_MU_TPM2B_PUBLIC_Unmarshal BH_LAZY(mu, Tss2_MU_TPM2B_PUBLIC_Unmarshal)
#define Tss2_MU_TPM2B_NAME_Unmarshal   BH_LAZY(mu, Tss2_MU_TPM2B_NAME_Unmarshal)
#define Tss2_MU_TPMT_SIGNATURE_Marshal BH_LAZY(mu, Tss2_MU_TPMT_SIGNATURE_Marshal)
#define Tss2_MU_UINT32_Unmarshal       BH_LAZY(mu, Tss2_MU_UINT32_Unmarshal)
#define Tss2_RC_Decode		       BH_LAZY(rc, Tss2_RC_Decode)

#endif
