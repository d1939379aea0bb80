package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Each New is a database of its own: a table made in one is absent from the other.
func TestNewGivesSeparateDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	require.NotEqual(t, a, b)
	ca, err := pgx.Connect(ctx, a)
	require.NoError(t, err)
	defer ca.Close(ctx)
	cb, err := pgx.Connect(ctx, b)
	require.NoError(t, err)
	defer cb.Close(ctx)
	_, err = ca.Exec(ctx, "CREATE TABLE only_in_a (x int)")
	require.NoError(t, err)
	var n int
	require.NoError(t, cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n))
	require.Zero(t, n)
	require.NoError(t, ca.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n))
	require.Equal(t, 1, n)
}

// A database is dropped when its test ends.
func TestDatabaseDroppedAfterTest(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("inner", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, pgtest.New(t))
		require.NoError(t, err)
		defer conn.Close(ctx)
		require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&name))
	})
	admin, err := pgtest.Server()
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, admin)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	require.Zero(t, n, "database %s still exists", name)
}

// A database of NewFrom starts with the template's content, and one handed out again after
// its test starts the same: rows gone, sequences restarted, the template's rows back, and
// the triggers of the template still there.
func TestNewFromResetsReusedDatabases(t *testing.T) {
	ctx := context.Background()
	prepare := func(url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE seeded (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v TEXT NOT NULL);
			INSERT INTO seeded (v) VALUES ('from the template');
			CREATE TABLE guarded (x INT);
			CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
			CREATE TRIGGER guarded_no_delete BEFORE DELETE ON guarded FOR EACH ROW EXECUTE FUNCTION refuse();`)
		return err
	}
	var first string
	for round := range 3 {
		t.Run("use", func(t *testing.T) {
			url := pgtest.NewFrom(t, "reset-test", prepare)
			if round == 0 {
				first = url
			} else {
				require.Equal(t, first, url, "the database was not reused")
			}
			conn, err := pgx.Connect(ctx, url)
			require.NoError(t, err)
			defer conn.Close(ctx)
			var n int
			var v string
			require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), min(v) FROM seeded`).Scan(&n, &v))
			require.Equal(t, 1, n)
			require.Equal(t, "from the template", v)
			var id int64
			require.NoError(t, conn.QueryRow(ctx, `INSERT INTO seeded (v) VALUES ('mine') RETURNING id`).Scan(&id))
			require.Equal(t, int64(2), id, "the sequence was not restarted")
			_, err = conn.Exec(ctx, `INSERT INTO guarded VALUES (1), (2)`)
			require.NoError(t, err)
			_, err = conn.Exec(ctx, `DELETE FROM guarded`)
			require.Error(t, err, "the template's trigger is gone")
		})
	}
	// A test that changes the schema does not hand its database on.
	var changed string
	t.Run("change the schema", func(t *testing.T) {
		changed = pgtest.NewFrom(t, "reset-test", prepare)
		conn, err := pgx.Connect(ctx, changed)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `DROP TRIGGER guarded_no_delete ON guarded`)
		require.NoError(t, err)
	})
	t.Run("after", func(t *testing.T) {
		url := pgtest.NewFrom(t, "reset-test", prepare)
		require.NotEqual(t, changed, url)
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `INSERT INTO guarded VALUES (1)`)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `DELETE FROM guarded`)
		require.Error(t, err, "the trigger is gone")
	})
}
