package service

import (
	"context"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// AddComment adds u's comment to group of request id (§4.4.13, docs/decisions.md §2, §3).
// An empty visibility is the first one u may write (PRIVATE for reviewing checkers, else
// PUBLIC).
func (s *Airlock) AddComment(ctx context.Context, u airlock.User, id, group, text string, v airlock.Visibility) (*airlock.Comment, error) {
	if strings.TrimSpace(text) == "" {
		return nil, airlock.Errorf(airlock.CodeInvalid, "A comment needs some text")
	}
	var out *airlock.Comment
	err := s.changeWith(ctx, u, id, withoutComments, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		vis := v
		if vis == "" {
			if vs := airlock.WritableVisibilities(u, r); len(vs) > 0 {
				vis = vs[0]
			}
		}
		if err := airlock.CheckCanComment(u, r, group, vis); err != nil {
			return err
		}
		if group == "" {
			return airlock.Errorf(airlock.CodeInvalid, "A comment needs a group")
		}
		c := &airlock.Comment{
			Author: u.Username, Text: text, Visibility: vis, ReviewTurn: r.ReviewTurn, CreatedAt: s.now(),
		}
		ev := s.audit(airlock.AuditRequestComment, u, r, "",
			map[string]string{"group": group, "comment": text, "visibility": string(vis)})
		if err := tx.InsertComment(ctx, r.ID, group, c, ev); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// commentEventExtra are the extras of a comment's delete or publish event: the group, the
// text, and PRIVATE visibility for a private comment (so its text stays with checkers).
func commentEventExtra(g *airlock.FileGroup, c *airlock.Comment, vis airlock.Visibility) map[string]string {
	extra := map[string]string{"group": g.Name, "comment": c.Text}
	if vis == airlock.VisibilityPrivate {
		extra["visibility"] = string(airlock.VisibilityPrivate)
	}
	return extra
}

// DeleteComment deletes u's own comment from request id.
func (s *Airlock) DeleteComment(ctx context.Context, u airlock.User, id, commentID string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanDeleteComment(u, r, commentID); err != nil {
			return err
		}
		c, g := r.Comment(commentID)
		ev := s.audit(airlock.AuditRequestCommentDelete, u, r, "", commentEventExtra(g, c, c.Visibility))
		return tx.DeleteComment(ctx, r.ID, commentID, ev)
	})
}

// PublishComment makes u's own PRIVATE comment of the current turn PUBLIC.
func (s *Airlock) PublishComment(ctx context.Context, u airlock.User, id, commentID string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanPublishComment(u, r, commentID); err != nil {
			return err
		}
		c, g := r.Comment(commentID)
		ev := s.audit(airlock.AuditRequestCommentVisibilityPub, u, r, "",
			commentEventExtra(g, c, airlock.VisibilityPublic))
		return tx.SetCommentVisibility(ctx, r.ID, commentID, airlock.VisibilityPublic, ev)
	})
}

// EditGroup sets the context and controls of group on request id (§4.4.7); REQUEST_EDIT
// records the full new texts.
func (s *Airlock) EditGroup(ctx context.Context, u airlock.User, id, group, contextText, controls string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanEditGroup(u, r, group); err != nil {
			return err
		}
		g := r.Group(group)
		g.Context, g.Controls = contextText, controls
		ev := s.audit(airlock.AuditRequestEdit, u, r, "",
			map[string]string{"group": group, "context": contextText, "controls": controls})
		return tx.UpsertGroup(ctx, r.ID, g, ev)
	})
}
