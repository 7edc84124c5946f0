package admin_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/admin"
)

const password = "correct horse battery staple"

func TestPasswords(t *testing.T) {
	t.Parallel()
	h, err := admin.HashPassword(password)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"))
	require.True(t, admin.CheckPassword(h, password))
	require.False(t, admin.CheckPassword(h, password+"!"))
	other, err := admin.HashPassword(password)
	require.NoError(t, err)
	require.NotEqual(t, h, other, "salted")
	require.False(t, admin.CheckPassword("$argon2id$garbage", password))
	_, err = admin.HashPassword("short")
	require.ErrorIs(t, err, admin.ErrPasswordLength)
	require.False(t, admin.CheckPassword(admin.DummyHash, ""), "nobody signs in with the dummy")
}
