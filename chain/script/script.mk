# chain/script: signatures, signature hashes and the script interpreter.
libchain_a_SOURCES += \
	chain/script/pubkey.c chain/script/pubkey.h \
	chain/script/taproot.c chain/script/taproot.h
