# chain/script/script.mk: scripts, the interpreter, signature hashes, the
# signature cache and public-key operations (libsecp256k1), with their tests.
libchain_a_SOURCES += \
	chain/script/script.c chain/script/script.h \
	chain/script/pubkey.c chain/script/pubkey.h \
	chain/script/taproot.c chain/script/taproot.h
