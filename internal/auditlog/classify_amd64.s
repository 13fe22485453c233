//go:build !purego

#include "textflag.h"

DATA quoteBytes<>+0(SB)/8, $0x2222222222222222
DATA quoteBytes<>+8(SB)/8, $0x2222222222222222
GLOBL quoteBytes<>(SB), RODATA|NOPTR, $16

DATA bslashBytes<>+0(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA bslashBytes<>+8(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL bslashBytes<>(SB), RODATA|NOPTR, $16

DATA caseBytes<>+0(SB)/8, $0x2020202020202020
DATA caseBytes<>+8(SB)/8, $0x2020202020202020
GLOBL caseBytes<>(SB), RODATA|NOPTR, $16

DATA openBytes<>+0(SB)/8, $0x7b7b7b7b7b7b7b7b
DATA openBytes<>+8(SB)/8, $0x7b7b7b7b7b7b7b7b
GLOBL openBytes<>(SB), RODATA|NOPTR, $16

DATA closeBytes<>+0(SB)/8, $0x7d7d7d7d7d7d7d7d
DATA closeBytes<>+8(SB)/8, $0x7d7d7d7d7d7d7d7d
GLOBL closeBytes<>(SB), RODATA|NOPTR, $16

// MASK64 compares the four 16-byte lanes X0-X3 with the bytes in C and
// leaves the 64-bit mask of equal bytes in R (clobbers X4-X7, BX, CX, DX).
#define MASK64(C, R) \
	MOVO	X0, X4 \
	MOVO	X1, X5 \
	MOVO	X2, X6 \
	MOVO	X3, X7 \
	PCMPEQB	C, X4 \
	PCMPEQB	C, X5 \
	PCMPEQB	C, X6 \
	PCMPEQB	C, X7 \
	PMOVMSKB	X4, R \
	PMOVMSKB	X5, BX \
	PMOVMSKB	X6, CX \
	PMOVMSKB	X7, DX \
	SHLQ	$16, BX \
	SHLQ	$32, CX \
	SHLQ	$48, DX \
	ORQ	BX, R \
	ORQ	CX, R \
	ORQ	DX, R

// func classify64(blk *[64]byte) (quote, bslash, open, close uint64)
TEXT ·classify64(SB), NOSPLIT, $0-40
	MOVQ	blk+0(FP), SI
	MOVOU	0(SI), X0
	MOVOU	16(SI), X1
	MOVOU	32(SI), X2
	MOVOU	48(SI), X3
	MOVOU	quoteBytes<>(SB), X8
	MASK64(X8, AX)
	MOVQ	AX, quote+8(FP)
	MOVOU	bslashBytes<>(SB), X8
	MASK64(X8, AX)
	MOVQ	AX, bslash+16(FP)
	// '[' | 0x20 is '{' and ']' | 0x20 is '}'.
	MOVOU	caseBytes<>(SB), X8
	POR	X8, X0
	POR	X8, X1
	POR	X8, X2
	POR	X8, X3
	MOVOU	openBytes<>(SB), X8
	MASK64(X8, AX)
	MOVQ	AX, open+24(FP)
	MOVOU	closeBytes<>(SB), X8
	MASK64(X8, AX)
	MOVQ	AX, close+32(FP)
	RET
